/**
 * Filesystem adapter for threat intelligence: reads indicator files (CSV, plain
 * lists, STIX 2.1 bundles) into an IndicatorSet and reloads them on change.
 *
 * Reload rules: a file that fails to read or has errors keeps its previous
 * indicators (a half-written or corrupted feed must not silently empty the set) and
 * the errors are reported; unsupported STIX patterns are warnings, counted. The
 * new set is built whole and handed over, so the detector swaps it atomically.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DockguardError } from '../../detectors/errors';
import { IndicatorSet, type Indicator } from '../../detectors/intel/indicator-set';
import type { IndicatorType } from '../../detectors/intel/normalize';
import {
  parseIndicatorCsv,
  parseIndicatorList,
  parseStixBundle,
  typeFromFileName,
  type ParsedIndicators,
} from '../../detectors/intel/parse-indicators';

export interface IntelFilesOptions {
  /** Type of plain lists whose name does not say it: file name (basename) → type. */
  listTypes?: Readonly<Record<string, IndicatorType>>;
}

export interface IntelLoad {
  set: IndicatorSet;
  errors: DockguardError[];
  /** STIX patterns skipped as unsupported. */
  unsupported: number;
  files: number;
}

const LIST_EXT = /\.(txt|list|lst)$/i;

/** Indicator files under `p` (a file or directory), sorted; README and other files are not indicators. */
export function listIntelFiles(p: string): string[] {
  const st = fs.statSync(p);
  if (st.isFile()) return [p];
  return fs
    .readdirSync(p, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.(csv|json|txt|list|lst)$/i.test(e.name))
    .map((e) => path.join(p, e.name))
    .sort();
}

/** Parses one file's text by its extension. */
export function parseIntelFile(file: string, text: string, options: IntelFilesOptions = {}): ParsedIndicators {
  if (/\.csv$/i.test(file)) return parseIndicatorCsv(file, text);
  if (/\.json$/i.test(file)) return parseStixBundle(file, text);
  if (LIST_EXT.test(file)) {
    const type = options.listTypes?.[path.basename(file)] ?? typeFromFileName(file);
    if (!type)
      return {
        indicators: [],
        unsupported: 0,
        errors: [
          new DockguardError({
            stage: 'config',
            code: 'INTEL_FILE_INVALID',
            message: `cannot tell the indicator type of ${file}: name it ips.txt, domains.txt, urls.txt, images.txt, … or configure it`,
            location: { file, line: 1, column: 1 },
          }),
        ],
      };
    return parseIndicatorList(file, text, type);
  }
  return { indicators: [], errors: [], unsupported: 0 };
}

/**
 * Loads indicator files. `previous` (file → indicators of the last good load) is
 * used for any file that cannot be read or has errors; it is updated in place.
 */
export function loadIntelFiles(
  paths: readonly string[],
  options: IntelFilesOptions = {},
  previous: Map<string, Indicator[]> = new Map(),
): IntelLoad {
  const errors: DockguardError[] = [];
  let unsupported = 0;
  const files: string[] = [];
  for (const p of paths) {
    try {
      files.push(...listIntelFiles(p));
    } catch (e) {
      errors.push(ioError(p, e));
    }
  }
  const set = new IndicatorSet();
  const current = new Map<string, Indicator[]>();
  for (const f of files) {
    let parsed: ParsedIndicators;
    try {
      parsed = parseIntelFile(f, fs.readFileSync(f, 'utf8'), options);
    } catch (e) {
      errors.push(ioError(f, e));
      const keep = previous.get(f);
      if (keep) current.set(f, keep);
      continue;
    }
    unsupported += parsed.unsupported;
    errors.push(...parsed.errors);
    const invalid: DockguardError[] = [];
    const good: Indicator[] = [];
    for (const ind of parsed.indicators) {
      // validity is checked by adding to a scratch set: the same rules the real set applies
      if (new IndicatorSet().add(ind)) good.push(ind);
      else
        invalid.push(
          new DockguardError({
            stage: 'parse',
            code: 'INTEL_FILE_INVALID',
            message: `"${ind.value}" is not a valid ${ind.type}`,
            location: { file: f, line: 1, column: 1 },
          }),
        );
    }
    errors.push(...invalid);
    const failed = invalid.length > 0 || parsed.errors.some((e) => e.severity === 'error');
    current.set(f, failed && previous.has(f) ? (previous.get(f) as Indicator[]) : good);
  }
  previous.clear();
  for (const [f, inds] of current) {
    previous.set(f, inds);
    for (const ind of inds) set.add(ind);
  }
  return { set, errors, unsupported, files: files.length };
}

function ioError(p: string, e: unknown): DockguardError {
  return new DockguardError({
    stage: 'io',
    code: 'IO_READ',
    message: `cannot read ${p}: ${(e as Error).message}`,
    location: { file: p, line: 1, column: 1 },
    cause: e,
  });
}

/**
 * Calls `reload` once after changes under `paths` settle (debounced: editors and
 * feed downloaders write a file in several steps); `recursive` also watches the
 * sub-directories of a directory. Returns a function that stops
 * watching. Watch errors (a directory removed) are passed to `onError`.
 */
export function watchPaths(
  paths: readonly string[],
  reload: () => void,
  options: { debounceMs?: number; onError?: (e: Error) => void; recursive?: boolean } = {},
): () => void {
  const debounce = options.debounceMs ?? 500;
  let timer: NodeJS.Timeout | undefined;
  const fire = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      reload();
    }, debounce);
    timer.unref();
  };
  const watchers: fs.FSWatcher[] = [];
  for (const p of paths) {
    try {
      // recursive for rule packs that keep files in sub-directories (Linux: Node ≥ 19.1)
      const recursive = options.recursive === true && fs.statSync(p).isDirectory();
      const w = fs.watch(p, { persistent: false, recursive }, fire);
      w.on('error', (e) => options.onError?.(e));
      watchers.push(w);
    } catch (e) {
      options.onError?.(e as Error);
    }
  }
  return () => {
    if (timer) clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}

/** Keeps an IndicatorSet current: loads now, reloads on change, reports each load. */
export class IntelFiles {
  private readonly previous = new Map<string, Indicator[]>();
  private stop: (() => void) | undefined;
  current: IntelLoad;

  constructor(
    private readonly paths: readonly string[],
    private readonly options: IntelFilesOptions = {},
  ) {
    this.current = loadIntelFiles(paths, options, this.previous);
  }

  /** Watches for changes; `onLoad` receives every reload (its set is complete: bad files kept their old indicators). */
  watch(onLoad: (load: IntelLoad) => void, debounceMs = 500): void {
    this.stop?.();
    this.stop = watchPaths(
      this.paths,
      () => {
        this.current = loadIntelFiles(this.paths, this.options, this.previous);
        onLoad(this.current);
      },
      { debounceMs },
    );
  }

  close(): void {
    this.stop?.();
    this.stop = undefined;
  }
}
