/**
 * The sub-commands of `dockguard`. Each service adds one entry here and keeps its
 * code in its own `*-command.ts` file. `run` returns the process exit code.
 */
import { exportCommand } from './export-command';
import { INDEX_USAGE, indexCommand } from './index-command';
import { COLLECT_USAGE, collectCommand } from './collect-command';
import { DETECT_USAGE, detectCommand } from './detect-command';
import { matchCommand } from './match-command';
import { RUN_USAGE, runCommand } from './run-command';
import { lintCommand, testCommand } from './rules-command';
import { SETUP_USAGE, setupCommand } from './setup-command';
import { SETUP_KAFKA_USAGE, setupKafkaCommand } from './setup-kafka-command';

export interface Command {
  /** One or more usage lines, shown by `dockguard help`. */
  usage: string;
  run(args: string[]): Promise<number> | number;
}

export const COMMANDS: Record<string, Command> = {
  match: {
    usage:
      'dockguard match --rules <file|dir> [--rules …] --events <file.jsonl|-> [--logsources <file>] [--placeholders <file>] [--timestamp-field <name>]',
    run: matchCommand,
  },
  'rules lint': {
    usage: 'dockguard rules lint <file|dir>… [--logsources <file>] [--placeholders <file>]',
    run: lintCommand,
  },
  'rules test': { usage: 'dockguard rules test <dir>…', run: testCommand },
  'rules export': {
    usage: 'dockguard rules export --format kibana-ndjson|esql|lucene [--rules <file|dir>]…',
    run: exportCommand,
  },
  collect: { usage: COLLECT_USAGE, run: collectCommand },
  detect: { usage: DETECT_USAGE, run: detectCommand },
  index: { usage: INDEX_USAGE, run: indexCommand },
  run: { usage: RUN_USAGE, run: runCommand },
  'setup elasticsearch': { usage: SETUP_USAGE, run: setupCommand },
  'setup kafka': { usage: SETUP_KAFKA_USAGE, run: setupKafkaCommand },
};
