// Child process for bench/metrics.ts: serves one metrics endpoint and reports on its own process.
// Run as `node --expose-gc --import tsx bench/metrics-server.ts <palingenesis|baseline>`, with IPC.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { commandSchema, serverKindSchema, type Command, type Reply } from './metrics-ipc.js';
import { startTarget } from './metrics-targets.js';

function send(reply: Reply): void {
  if (process.send === undefined) throw new Error('metrics-server must be started with IPC');
  process.send(reply);
}

/** Forced GC between turns so that finalizers and weak refs settle before reading the heap. */
async function heapAfterGc(): Promise<number> {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) {
    gc();
    await nextTurn();
  }
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const kind = serverKindSchema.parse(process.argv[2]);
  // Resolution 1 ms: fine enough for the p99 we report, cheap enough not to perturb the server.
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  const target = await startTarget(kind);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // Bounded: a stop that hangs must not leave an orphan once the parent has gone.
    setTimeout(() => process.exit(1), 5_000).unref();
    await target.stop();
    process.exit(0);
  };
  const handle = async (command: Command): Promise<void> => {
    switch (command.cmd) {
      case 'eld-reset':
        eld.reset();
        send({ type: 'ack' });
        return;
      case 'eld-read': {
        const ms = (ns: number): number => ns / 1e6;
        send({
          type: 'eld',
          p50Ms: ms(eld.percentile(50)),
          p99Ms: ms(eld.percentile(99)),
          maxMs: ms(eld.max),
        });
        return;
      }
      case 'heap':
        send({ type: 'heap', heapUsed: await heapAfterGc() });
        return;
      case 'stop':
        await stop();
    }
  };
  process.on('message', (raw: unknown) => {
    const parsed = commandSchema.safeParse(raw);
    if (parsed.success) handle(parsed.data).catch(fail);
    else fail(parsed.error);
  });
  // The parent died without stopping us: do not outlive it.
  process.on('disconnect', () => {
    stop().catch(fail);
  });
  send({ type: 'ready', url: target.url });
}

function fail(error: unknown): void {
  console.error('metrics-server failed:', error);
  process.exit(1);
}

main().catch(fail);
