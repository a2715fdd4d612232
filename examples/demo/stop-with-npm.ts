/**
 * `npm start` runs the demo through a shell (`sh -c "node …"`). On SIGTERM npm forwards the signal
 * to that shell, which dies without passing it on (dash does not exec its last command), and the
 * server would keep running as an orphan with its port open. So, when started by `npm start`, the
 * server checks every half second that the process that started it is still there, and stops the
 * way SIGTERM would when it is not. Run directly (`node --import tsx examples/demo-server.ts`, e.g.
 * under a supervisor or `nohup`), it does not watch: outliving its parent is then wanted.
 */
export function stopWithNpm(stop: (why: string) => void, env: NodeJS.ProcessEnv = process.env): void {
  if (env.npm_lifecycle_event !== 'start') return
  const parent = process.ppid
  const timer = setInterval(() => {
    if (process.ppid === parent) return
    clearInterval(timer)
    stop('npm start was stopped')
  }, 500)
  timer.unref()
}
