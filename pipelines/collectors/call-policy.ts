/**
 * The deny policy both collector modes apply at request time, before dockerd
 * acts on a call. It sees the audit event built from the request alone (no
 * response yet) and returns the decision the event records.
 */
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import type { CapturedDecision } from './captured-call';

export interface CallPolicy {
  decide(event: DockerApiEvent): CapturedDecision;
  /**
   * True when the policy allows every call without looking at it (no deny entries,
   * no blocking rules: the collector only records). The collectors then forward the
   * call at once and build its event once, after the answer, instead of building a
   * request-time event no one reads while the client waits.
   */
  readonly allowsEverything?: boolean;
}

export const ALLOW_ALL: CallPolicy = {
  decide: () => ({ allowed: true, rule: null, reason: null }),
  allowsEverything: true,
};
