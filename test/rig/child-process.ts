import type { ChildProcess } from 'node:child_process';

/** Stops a server the rig started and waits until it has exited, so its port and files are free. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
