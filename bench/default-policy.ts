/**
 * The deny policy the collector latency benches put in front of dockerd: the one the
 * project deploys (deploy/policies/default-deny.yml), read from the checkout whether
 * the bench runs from bench/ or from dist/bench/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { compileDenyPolicy, type DenyPolicy } from '../pipelines/collectors/deny-policy';

const ROOT = path.resolve(__dirname, '..', ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []));

export function defaultDenyPolicy(): DenyPolicy {
  const file = path.join(ROOT, 'deploy/policies/default-deny.yml');
  return compileDenyPolicy([{ file, text: fs.readFileSync(file, 'utf8') }]).policy;
}
