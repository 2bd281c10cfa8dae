/**
 * The deny policy both collector modes apply at request time, before dockerd
 * acts on a call. It sees the audit event built from the request alone (no
 * response yet) and returns the decision the event records.
 */
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import type { CapturedDecision } from './captured-call';

export interface CallPolicy {
  decide(event: DockerApiEvent): CapturedDecision;
}

export const ALLOW_ALL: CallPolicy = {
  decide: () => ({ allowed: true, rule: null, reason: null }),
};
