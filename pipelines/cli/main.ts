/**
 * `dockguard` command-line entry point: dispatches sub-commands.
 * Exit codes: 0 run completed, 1 rule tests failed or lint found errors,
 * 2 bad rules or options (nothing was evaluated).
 */
import '../runtime/v8-flags';
import { isDockguardError } from '../../detectors/errors';
import { matchCommand } from './match-command';
import { lintCommand, testCommand } from './rules-command';

const USAGE = `usage:
  dockguard match --rules <file|dir> [--rules …] --events <file.jsonl|-> [--logsources <file>] [--placeholders <file>] [--timestamp-field <name>]
  dockguard rules lint <file|dir>… [--logsources <file>] [--placeholders <file>]
  dockguard rules test <dir>…
  dockguard help`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'match':
        return await matchCommand(rest);
      case 'rules': {
        const [sub, ...args] = rest;
        if (sub === 'lint') return lintCommand(args);
        if (sub === 'test') return testCommand(args);
        process.stderr.write(`dockguard rules: unknown sub-command "${sub ?? ''}"\n${USAGE}\n`);
        return 2;
      }
      case 'help':
      case '--help':
      case '-h':
      case undefined:
        process.stdout.write(USAGE + '\n');
        return cmd === undefined ? 2 : 0;
      default:
        process.stderr.write(`dockguard: unknown command "${cmd}"\n${USAGE}\n`);
        return 2;
    }
  } catch (e) {
    if (isDockguardError(e)) {
      process.stderr.write(e.format() + '\n');
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`dockguard: internal error: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
