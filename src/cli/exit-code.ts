/** Thrown by a command's action to finish with an exit code after it printed what it had to. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
