import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  replySchema,
  type Command,
  type Reply,
  type ReplyOf,
  type ServerKind,
} from './metrics-ipc.js';

const SERVER_ENTRY = fileURLToPath(new URL('./metrics-server.ts', import.meta.url));
/** tsx compiles src/ on first import; a cold start can take a few seconds on a slow machine. */
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** Parent-side handle on one server child process. */
export interface ServerChild {
  readonly kind: ServerKind;
  readonly pid: number;
  readonly url: string;
  ask<T extends Reply['type']>(command: Command, expect: T, timeoutMs: number): Promise<ReplyOf<T>>;
  /** Graceful: ask the child to stop, wait for it to exit. */
  stop(): Promise<void>;
  /** SIGKILL by PID if still alive. Safe to call any time, any number of times. */
  kill(): void;
}

export async function spawnServer(kind: ServerKind): Promise<ServerChild> {
  // --expose-gc so the child can force GC before reading its heap; stdout/stderr pass through.
  const child = fork(SERVER_ENTRY, [kind], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const kill = (): void => {
    killChild(child);
  };
  // A failed spawn or send: end the child, so whatever waits on it sees the exit and rejects.
  child.on('error', (error) => {
    console.error(`[bench] ${kind} server: ${error.message}`);
    kill();
  });
  try {
    const pid = child.pid;
    if (pid === undefined) throw new Error(`cannot start the ${kind} server`);
    const ready = await expectReply(child, 'ready', nextReply(child, START_TIMEOUT_MS));
    const ask = async <T extends Reply['type']>(command: Command, expect: T, timeoutMs: number) => {
      const reply = nextReply(child, timeoutMs);
      child.send(command);
      return expectReply(child, expect, reply);
    };
    const stop = async (): Promise<void> => {
      const exited = waitForExit(child, STOP_TIMEOUT_MS);
      child.send({ cmd: 'stop' } satisfies Command);
      await exited;
    };
    return { kind, pid, url: ready.url, ask, stop, kill };
  } catch (error) {
    kill();
    throw error;
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function killChild(child: ChildProcess): void {
  if (child.pid === undefined || hasExited(child)) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    // Already gone between the check and the kill: nothing left to do.
  }
}

async function expectReply<T extends Reply['type']>(
  child: ChildProcess,
  expect: T,
  pending: Promise<Reply>,
): Promise<ReplyOf<T>> {
  const reply = await pending;
  if (reply.type !== expect) {
    throw new Error(`child ${String(child.pid)}: expected ${expect}, got ${reply.type}`);
  }
  return reply as ReplyOf<T>;
}

/** The next message from the child; rejects if it exits, sends garbage, or stays silent. */
function nextReply(child: ChildProcess, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    if (hasExited(child)) {
      reject(new Error(`child ${String(child.pid)} has already exited`));
      return;
    }
    const timer = setTimeout(() => {
      done();
      reject(new Error(`child ${String(child.pid)}: no reply within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (raw: unknown): void => {
      done();
      const parsed = replySchema.safeParse(raw);
      if (parsed.success) resolve(parsed.data);
      else reject(new Error(`child ${String(child.pid)}: bad reply ${JSON.stringify(raw)}`));
    };
    const onExit = (code: number | null, signal: string | null): void => {
      done();
      reject(
        new Error(
          `child ${String(child.pid)} exited (code ${String(code)}, signal ${String(signal)})`,
        ),
      );
    };
    const done = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (hasExited(child)) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      reject(new Error(`child ${String(child.pid)} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`child ${String(child.pid)} exited with code ${String(code)}`));
    });
  });
}
