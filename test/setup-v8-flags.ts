// Tests run with the same V8 regex engines as the CLI and the services.
import '../pipelines/runtime/v8-flags';
