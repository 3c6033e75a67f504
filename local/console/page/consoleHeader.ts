/** Sent with every call of the page: the console server forwards nothing without it (see ../server.ts). */
export const CONSOLE_HEADER = 'x-aicontent-console';
