/**
 * The detector half of `dockguard run`: audit events in (from the in-process
 * queue of a live collector, or from a recorded file), one DetectorPipeline
 * partition, findings out to every configured output.
 *
 * One host, one process: the state (correlation windows, baselines) lives in
 * memory and is optionally saved as a PartitionState snapshot — on shutdown and
 * every few minutes, written to a temporary file and renamed so that a crash
 * mid-write never leaves a torn snapshot — and loaded at start.
 */
import * as fs from 'node:fs';
import type { Logger } from 'pino';
import { DetectorPipeline, type DetectorSets } from '../../detectors/detector-pipeline';
import { DockguardError } from '../../detectors/errors';
import { PartitionState } from '../../detectors/state/partition-state';
import type { Finding } from '../../schemas/generated/finding';
import type { DetectorConfig } from '../detector/detector-config';
import { swapSets, type LoadedSets } from '../detector/detector-sets';
import type { FindingsOutput } from './findings-output';
import { RunSummary } from './run-summary';

/** The single partition of a one-host run. */
const PARTITION = 0;

export interface RunPipelineOptions {
  sets: DetectorSets;
  detector: DetectorConfig;
  outputs: FindingsOutput[];
  logger: Logger;
  /** Processing time for finding.created; omitted: the event time (replays stay deterministic). */
  clock?: () => number;
  snapshotFile?: string | null;
}

export class RunPipeline {
  readonly summary = new RunSummary();
  private readonly pipeline: DetectorPipeline;
  private readonly log: Logger;
  private offset = 0;
  private readonly failedOutputs = new Set<string>();

  constructor(private readonly o: RunPipelineOptions) {
    this.log = o.logger.child({ component: 'run' });
    this.pipeline = new DetectorPipeline(o.sets, {
      detector: o.detector.instanceId,
      ...(o.clock ? { clock: o.clock } : {}),
      allowedLatenessMs: o.detector.allowedLatenessMs,
      maxEventsPerGroup: o.detector.maxEventsPerGroup,
      maxCorrelationKeys: o.detector.maxCorrelationKeys,
    });
  }

  /** Loads the snapshot file when there is one; returns whether state was restored. A damaged file is an error: refusing to start beats silently forgetting the baselines. */
  loadSnapshot(): boolean {
    const file = this.o.snapshotFile;
    if (!file || !fs.existsSync(file)) return false;
    let buf: Buffer;
    try {
      buf = fs.readFileSync(file);
    } catch (e) {
      throw new DockguardError({
        stage: 'io',
        code: 'IO_READ',
        message: `run.snapshotFile: cannot read ${file}: ${(e as Error).message}`,
        cause: e,
      });
    }
    const state = PartitionState.restore(PARTITION, buf, { maxCorrelationKeys: this.o.detector.maxCorrelationKeys });
    state.drainChanges();
    this.pipeline.restore(state);
    // correlation hits reference input offsets: continue after the newest one the snapshot knows
    let max = -1;
    for (const ref of state.refs.keys()) if (ref > max) max = ref;
    this.offset = max + 1;
    this.log.info({ file, bytes: buf.length, nextOffset: this.offset }, 'detector state restored from the snapshot');
    return true;
  }

  /** Writes the snapshot (temporary file, fsync, rename). */
  saveSnapshot(): void {
    const file = this.o.snapshotFile;
    if (!file) return;
    const buf = this.pipeline.state(PARTITION).snapshot();
    const tmp = `${file}.tmp-${process.pid}`;
    try {
      const fd = fs.openSync(tmp, 'w', 0o600);
      try {
        fs.writeSync(fd, buf);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw new DockguardError({
        stage: 'io',
        code: 'IO_WRITE',
        message: `run.snapshotFile: cannot write ${file}: ${(e as Error).message}`,
        cause: e,
      });
    }
    this.log.debug({ file, bytes: buf.length }, 'detector state saved');
  }

  /** Runs the detectors on one event and hands the findings to every output. */
  async process(event: unknown): Promise<Finding[]> {
    this.summary.events++;
    const result = this.pipeline.process(event, { partition: PARTITION, offset: this.offset++ });
    for (const f of result.failures) {
      this.summary.skipped++;
      this.log.error({ err: f }, 'a detector failed on an event');
    }
    await this.emit(result.findings);
    return result.findings;
  }

  /** Processes every event of the source in order (a live queue ends when the collector closes it). */
  async consume(source: AsyncIterable<unknown>): Promise<void> {
    for await (const event of source) await this.process(event);
  }

  /** End of input: windows decided on close are decided now. */
  async flush(): Promise<Finding[]> {
    const findings = this.pipeline.flush();
    await this.emit(findings);
    return findings;
  }

  reload(loaded: LoadedSets): boolean {
    return swapSets(this.pipeline, loaded, this.log);
  }

  async closeOutputs(): Promise<void> {
    for (const out of this.o.outputs) {
      try {
        await out.close();
      } catch (err) {
        this.log.error({ err, output: out.name }, 'closing a findings output failed');
      }
    }
  }

  private async emit(findings: Finding[]): Promise<void> {
    for (const f of findings) {
      this.summary.add(f);
      for (const out of this.o.outputs) {
        try {
          await out.write(f);
        } catch (err) {
          // one failing output (a full disk) must not stop detection or the other outputs
          if (!this.failedOutputs.has(out.name)) this.log.error({ err, output: out.name }, 'findings output failed');
          this.failedOutputs.add(out.name);
        }
      }
    }
  }
}
