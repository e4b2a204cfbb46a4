import { hostname } from 'node:os';
import type { Command } from 'commander';
import { readBuildInfo } from '../daemon/build-info.js';
import { PalError } from '../errors.js';
import type { Outcome } from '../notify/outcome.js';
import { pickChannels, sendTestMessages } from '../notify/send-test.js';
import { configLocation, requireConfig, type CliContext } from './context.js';
import { EXIT } from './exit-codes.js';

const TEST_HELP = `
Sends one test message through each configured channel ([[notifications.channels]] in the
config), or only CHANNEL, straight from this process: no daemon needed. It uses the daemon's own
message formats and sender, tries once (the daemon retries; this reports), and prints one line per
channel: "sent", or "FAILED" with the reason (an HTTP status, a timeout, a network error — never a
URL or token). Exit 0 when every message went out, 1 when any failed or the channel is unknown.`;

export function notifyCommands(
  program: Command,
  ctx: CliContext,
  globals: () => { config?: string },
): void {
  const notify = program
    .command('notify')
    .description('notifications (webhook, ntfy, Discord, Slack, Telegram): try the channels');

  notify
    .command('test [channel]')
    .description('send a test message through every channel, or CHANNEL; exit 1 if any failed')
    .addHelpText('after', TEST_HELP)
    .action(async (name: string | undefined) => {
      const location = configLocation(ctx, globals().config);
      const config = await requireConfig(location);
      const picked = pickChannels(config.notifications.channels, name, location.path);
      if (!picked.ok) throw new PalError('not_found', picked.message);
      if (!config.notifications.enabled) {
        ctx.stderr('note: [notifications] enabled = false: the daemon sends nothing for now\n');
      }
      const results = await sendTestMessages(picked.channels, config.notifications, {
        host: hostname(),
        version: readBuildInfo().version,
        signal: new AbortController().signal,
      });
      for (const { channel, outcome } of results) {
        ctx.stdout(`${channel.name} (${channel.type}): ${describeOutcome(outcome)}\n`);
      }
      const ok = results.every((r) => r.outcome.kind === 'ok');
      process.exitCode = ok ? EXIT.ok : EXIT.failure;
    });
}

function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'ok':
      return 'sent';
    case 'retry':
      return `FAILED: ${outcome.reason} (the daemon would retry this)`;
    case 'fail':
      return `FAILED: ${outcome.reason}`;
  }
}
