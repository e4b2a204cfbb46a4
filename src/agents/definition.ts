import type { Logger } from 'pino';
import type { z } from 'zod';
import type { StopEvidence } from '../core/stop-reason.js';
import type { CliContext } from '../cli/context.js';
import type { Clock } from '../jobs/clock.js';
import type { AgentAdapter, SessionRef } from './adapter.js';

/**
 * An agent, as the rest of the daemon knows it: one value exported by the agent's folder and
 * listed once in registry.ts. Config schema, wiring, doctor, MCP, the hook route, the spool,
 * metrics and `classify --agent` iterate the registry; nothing outside the folder names an agent.
 *
 * Only `schema` and the small pure fields are loaded with the registry: the adapter, the doctor
 * checks and the record reader are imported when used, so an agent the config leaves off costs
 * nothing but its schema.
 */
export interface AgentDefinition<
  Shape extends AgentShape = AgentShape,
  Key extends string = string,
> {
  /** The agent's name everywhere: events, metrics labels, the API, `--agent`. */
  readonly kind: string;
  /** How people call it: `Claude Code`, `Codex CLI`. */
  readonly title: string;
  /** Its TOML section, e.g. `claude_code`: every key with its default and description. */
  readonly configKey: Key;
  readonly description: string;
  readonly schema: z.ZodObject<Shape, z.core.$strict>;
  /** Whether this config watches the agent at all (`enabled`). */
  enabled(section: AgentSection<Shape>): boolean;
  /** Builds the adapter and its capabilities; called once per daemon start, when enabled. */
  create(section: AgentSection<Shape>, deps: AgentDeps): Promise<AgentInstance>;
  /** `palingenesis doctor`: checks of its own (installed, version, hooks), each with a fix. */
  doctor?(section: AgentSection<Shape>, ctx: DoctorContext): Promise<readonly DoctorCheck[]>;
  /** `palingenesis classify --agent <kind>`: reads one of its records (a line, an event). */
  readonly records?: () => Promise<RecordReader>;
  /** `palingenesis mcp config <kind>`: how to register our MCP server with the agent. */
  readonly mcp?: McpRegistration;
  /**
   * The agent posts hooks to `POST /api/v1/hooks/<kind>` (through the forwarder or spool). The
   * daemon keeps each one accepted in its hook inbox until the instance's `acceptHook` says it is
   * done with it, and hands over again what a daemon that died left there, then the spool.
   */
  readonly hookIntake?: boolean;
  /** `palingenesis hooks install|uninstall|status <kind>`: our forwarder in the agent's settings. */
  readonly hooks?: HookRegistration<AgentSection<Shape>>;
}

/** The keys of an agent's config section, each a zod schema with its default and description. */
export type AgentShape = Readonly<Record<string, z.ZodType>>;

/** The parsed config section of an agent whose schema has this shape. */
export type AgentSection<Shape extends AgentShape> = z.output<z.ZodObject<Shape, z.core.$strict>>;

/** What every agent is given. Failures it catches go to `onError`: logged and counted. */
export interface AgentDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** The environment agents are found and run in (HOME, PATH, the agent's own variables). */
  readonly env: NodeJS.ProcessEnv;
  /** The daemon's state directory (hook inbox and spool are the daemon's: see hookIntake). */
  readonly stateDir: string;
  /** `[limits] max_tracked_files`: files one agent follows at once. */
  readonly maxTrackedFiles: number;
  /** Sessions the daemon remembers (for resyncs after a restart). */
  readonly tracked: () => readonly SessionRef[];
  /** Sleeps on the daemon's clock until `ms` passed or `signal` aborted. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * A caught failure: logged (warn, with the agent) and counted as
   * `palingenesis_errors_total{component="agent",kind}`. `kind` is a short fixed word (`scan`,
   * `hook`, `resync`…): never an id, a path or a message, so the label stays bounded.
   */
  readonly onError: (kind: string, error: unknown) => void;
  /** An input not believed (a forged hook): `palingenesis_inputs_refused_total{source=<kind>}`. */
  readonly onRefused: (reason: string, detail: string) => void;
  /** A managed agent process restarted or gave up: becomes `agent.restarted` / `agent.gave_up`. */
  readonly onProcess: (event: AgentProcessEvent) => void;
}

export type AgentProcessEvent =
  | { readonly kind: 'restarted'; readonly restarts: number }
  | { readonly kind: 'gave_up'; readonly reason: string };

/** A running agent: its adapter, and what else it brings. */
export interface AgentInstance {
  readonly adapter: AgentAdapter;
  /**
   * Takes one hook payload, already size- and rate-checked and persisted by the daemon; never
   * throws. May be called before `watch` (payloads replayed at start): the agent judges them once
   * it watches. The daemon deletes its copy when `done` resolves to `handled`.
   */
  readonly acceptHook?: (payload: unknown) => HookReceipt;
  /** A process the daemon runs for the agent (`opencode serve`): started after the API is up. */
  readonly process?: { start(): void; stop(): Promise<void> };
}

/**
 * What an agent says when handed a hook payload: taken (`done` tells how it ended), or not (its
 * queue is full: the daemon answers so that the forwarder keeps the payload and sends it again).
 */
export type HookReceipt =
  | { readonly taken: true; readonly done: Promise<HookFate> }
  | { readonly taken: false; readonly why: string };

/**
 * How an agent finished with a payload it took; never a rejection. `handled`: judged, and any
 * stop it carried handed to the engine as an observation. `interrupted`: the agent stopped
 * watching before it could judge it, so the daemon's copy stays for the next start.
 */
export type HookFate = 'handled' | 'interrupted';

export type DoctorStatus = 'ok' | 'warn' | 'fail';

/** One line of `palingenesis doctor`: what was found and, unless it is fine, how to fix it. */
export interface DoctorCheck {
  readonly name: string;
  readonly status: DoctorStatus;
  readonly finding: string;
  readonly fix?: string;
}

export interface DoctorContext {
  /** The CLI's environment, paths and config location. */
  readonly cli: CliContext;
  /** `--config` as given, for commands a fix suggests. */
  readonly configFlag?: string | undefined;
  /** Whether the config file was valid (checks that read more of it say "not checked" else). */
  readonly configValid: boolean;
  /** `<binary> --version`, bounded in time: ok with the version, else why, with the fix. */
  versionCheck(input: VersionCheckInput): Promise<DoctorCheck>;
}

export interface VersionCheckInput {
  readonly name: string;
  readonly binary: string;
  readonly enabled: boolean;
  /** Missing is a failure (else a warning: the agent is optional on this machine). */
  readonly required: boolean;
  readonly configKey: string;
  /** How to install it, e.g. `npm install -g @openai/codex`. */
  readonly install: string;
}

/**
 * What one record says about how a turn ended, read by the agent's own code. `stop` carries the
 * evidence the daemon itself would classify; `no_stop` a turn that went on or completed; `noise`
 * a record of this agent that says nothing about it (an earlier line decides); `irrelevant` not
 * a record of this agent.
 */
export type RecordReading =
  | {
      readonly kind: 'stop';
      readonly evidence: StopEvidence;
      /** What kind of record it was, e.g. `transcript` or `task_complete`. */
      readonly source: string;
      /** The record's own words, for the verdict's `evidence`. */
      readonly text?: string | undefined;
    }
  | { readonly kind: 'no_stop'; readonly completed: boolean; readonly source: string }
  | { readonly kind: 'noise' }
  | { readonly kind: 'irrelevant' };

export interface RecordReader {
  /** One record (a JSON value) on its own. */
  readonly line: (value: unknown) => RecordReading;
  /**
   * A whole file of this agent's records (JSON lines), read as the adapter reads the file (a
   * Codex rollout: the reset is in a `token_count` line before the failure). `irrelevant` when
   * the lines are not such a file; then each line is read on its own, newest first.
   */
  readonly file?: (values: readonly unknown[]) => RecordReading;
}

export interface McpRegistration {
  /** Help after `mcp config <kind>`: where the printed text goes. */
  readonly help: string;
  /** The printed text for this command line (node, cli.js, args). */
  snippet(
    command: readonly string[],
    options: { readonly scope: string; readonly name: string },
  ): string;
  /** Accepted `--scope` values, when the agent has scopes. */
  readonly scopes?: readonly string[];
  /** The `--scope` when none is given. */
  readonly defaultScope?: string;
}

export interface HookRegistration<Section> {
  /** A paragraph after `hooks --help`: which hooks install adds, to which file. */
  readonly help: string;
  /** The installer, imported on first use (like `records`). */
  readonly installer: () => Promise<HookInstaller<Section>>;
}

/**
 * Puts the forwarder (`palingenesis-hook.js <kind>`) into the agent's own hook settings and takes
 * it out again. Each call prints nothing itself: it returns what the CLI prints. A settings file
 * it cannot edit safely is a `PalError` naming the file.
 */
export interface HookInstaller<Section> {
  install(ctx: HookContext<Section>): Promise<HookReport>;
  /** Removes exactly what install added; the user's own changes since are kept. */
  uninstall(ctx: HookContext<Section>): Promise<HookReport>;
  status(ctx: HookContext<Section>): Promise<HookStatusReport>;
}

/** What `hooks install|uninstall|status` is given for one agent. */
export interface HookContext<Section> {
  /** The CLI's environment and paths (HOME and the agent's own variables are in `pathEnv`). */
  readonly cli: CliContext;
  /** The agent's config section: where the daemon looks for the agent is where hooks go. */
  readonly section: Section;
  /** The daemon's state dir (absolute): the forwarder's `--state-dir`, and install records. */
  readonly stateDir: string;
  /** The forwarder the hooks run: this node and dist/palingenesis-hook.js, by absolute path. */
  readonly forwarder: HookForwarder;
  /** For backup names and install records. */
  readonly now: Date;
}

export interface HookForwarder {
  readonly node: string;
  readonly script: string;
}

export interface HookReport {
  /** What the CLI prints: whole lines, each ending in a newline. */
  readonly text: string;
}

export interface HookStatusReport extends HookReport {
  /** One entry of `hooks status --json`'s `agents` array (with the agent's `kind`). */
  readonly json: object;
}

/** Identity at runtime, the type for the registry: keeps `Section` checked inside the literal. */
export function defineAgent<const Key extends string, Shape extends AgentShape>(
  definition: AgentDefinition<Shape, Key>,
): AgentDefinition<Shape, Key> {
  return definition;
}
