// Tests run with the same V8 regex engine as the CLI (see pipelines/runtime/v8-flags.ts).
require('v8').setFlagsFromString('--enable-experimental-regexp-engine');
require('v8').setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
