import { isPalError } from '../../errors.js';
import { hookContext } from '../../hooks/context.js';
import type { DoctorCheck, DoctorContext } from '../definition.js';
import type { ClaudeCodeSection } from './config.js';
import { claudeHookStatus } from './hooks/claude-status.js';
import { hookTarget } from './hooks/target.js';

/** Whether our hooks are in Claude Code's settings, for this palingenesis and state directory. */
export async function claudeHooksCheck(
  section: ClaudeCodeSection,
  ctx: DoctorContext,
): Promise<DoctorCheck> {
  const name = 'hooks';
  const fix = 'palingenesis hooks install claude-code';
  try {
    const { files, command } = hookTarget(hookContext(ctx.cli, section, new Date()));
    const status = await claudeHookStatus(files, command);
    const count = status.events.filter((e) => e.installed).length;
    const missing = status.paths.filter((p) => !p.exists && p.role !== 'state dir');
    if (missing.length > 0) {
      const paths = missing.map((p) => p.path).join(', ');
      return { name, status: 'fail', finding: `the hooks run ${paths}, which is gone`, fix };
    }
    if (status.installed === 'none') {
      const finding = `not installed in ${status.settingsPath}; stops are seen in transcripts, later`;
      return { name, status: 'warn', finding, fix };
    }
    if (status.installed === 'some' || !status.current) {
      const finding =
        status.installed === 'some'
          ? `only ${count} of ${status.events.length} hooks installed in ${status.settingsPath}`
          : `installed, but for another palingenesis or state directory (${status.settingsPath})`;
      return { name, status: 'warn', finding, fix };
    }
    return { name, status: 'ok', finding: `${count} hooks installed in ${status.settingsPath}` };
  } catch (error) {
    if (!isPalError(error)) throw error;
    return { name, status: 'fail', finding: error.message, fix: 'fix that file, then: ' + fix };
  }
}
