/**
 * Typed parameters of `POST /containers/{id}/exec` (ExecConfig): what will run in
 * an existing container and with which privileges. An exec is how an intruder who
 * found an exposed daemon gets a shell in a running workload, or a root shell in a
 * privileged one, without creating anything new.
 */
import type { ExecParams } from '../../../schemas/generated/docker-api-event';
import { shellJoin } from './container-params';
import { asString, asStrings, envNames, field, type JsonValue } from './docker-json';

export interface ExecCreate {
  params: ExecParams;
  args: string[];
  commandLine: string | null;
}

export function execCreate(body: JsonValue): ExecCreate {
  const cmd = asStrings(field(body, 'Cmd'));
  return {
    params: {
      cmd,
      user: asString(field(body, 'User')),
      privileged: field(body, 'Privileged') === true,
      tty: field(body, 'Tty') === true,
      attach_stdin: field(body, 'AttachStdin') === true,
      env_names: envNames(field(body, 'Env')),
      working_dir: asString(field(body, 'WorkingDir')),
    },
    args: cmd,
    commandLine: cmd.length > 0 ? shellJoin(cmd) : null,
  };
}
