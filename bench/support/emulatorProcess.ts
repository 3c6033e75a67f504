/**
 * An aicontent emulator in its own process for the sweep benchmark (so its CPU is not counted as the
 * sweeper's): every answer takes LATENCY_MS, and JOBS jobs (ids "1".."JOBS") are finished already.
 * Prints one line, `{"url": …}`, when ready.
 */
import { startEmulator } from '#local/emulator/emulator.ts';

const emulator = await startEmulator({ port: 0, faults: { latency: Number(process.env.LATENCY_MS ?? 100) } });
for (let i = 1; i <= Number(process.env.JOBS ?? 0); i++) {
  emulator.createJob({ schedule: { waitScheduleMs: 0, inferringMs: 0 } });
}
process.stdout.write(
  `${JSON.stringify({ url: emulator.url, accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret })}\n`,
);
process.once('SIGTERM', () => emulator.close().then(() => process.exit(0)));
