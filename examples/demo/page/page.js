// The demo page: one panel per algorithm (from the server's `lab.page`), each firing GET
// /trpc/lab.<id> as the chosen caller and polling `lab.usage` to draw the window. Plain DOM, no
// build step. A new algorithm needs no change here: add it to LAB_VIEWS in examples/demo/lab.ts.

const POLL_MS = 250
const HISTORY_MS = 30_000

/** The caller chosen in the radio group: its API key, or null for anonymous (the client IP). */
let apiKey = null

const headersFor = () => (apiKey ? { 'x-api-key': apiKey } : {})

/** GET a tRPC query; the body's `result.data` or `error`, plus the response itself. */
async function query(path, input) {
  const search = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`
  const response = await fetch(`/trpc/${path}${search}`, { headers: headersFor() })
  const body = await response.json()
  return { response, data: body.result?.data, error: body.error }
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  node.append(...children)
  return node
}

function describeRule(rule) {
  const extra = Object.entries(rule)
    .filter(([name]) => !['limit', 'window', 'algorithm'].includes(name))
    .map(([name, value]) => `, ${name}: ${JSON.stringify(value)}`)
    .join('')
  return `{ limit: ${rule.limit}, window: '${rule.window}', algorithm: '${rule.algorithm}'${extra} }`
}

function renderCallers(callers) {
  const group = document.getElementById('callers')
  callers.forEach((caller, index) => {
    const input = element('input', {
      type: 'radio',
      name: 'caller',
      value: caller.id,
      id: `caller-${caller.id}`,
    })
    input.checked = index === 0
    input.addEventListener('change', () => {
      apiKey = caller.key
    })
    group.append(element('label', { for: input.id }, input, ` ${caller.label}`))
  })
  apiKey = callers[0]?.key ?? null
}

/** One panel: buttons, the usage meter, a 30 s history and the last response. */
function createPanel(view) {
  const meter = element('div', { class: 'meter', 'aria-label': 'usage' })
  const usage = element('div', { class: 'usage', 'data-testid': 'usage' })
  const canvas = element('canvas', { width: '600', height: '60' })
  const last = element('div', { class: 'last', 'data-testid': 'last' }, 'No request yet.')
  const log = element('ol', { class: 'log', reversed: '' })
  const fire1 = element('button', { type: 'button', 'data-testid': 'fire' }, 'Send 1 request')
  const fire6 = element('button', { type: 'button', 'data-testid': 'fire-burst' }, 'Send 6 at once')
  const panel = element(
    'section',
    { class: 'view', id: `view-${view.id}`, 'data-testid': `view-${view.id}` },
    element('h2', {}, view.title),
    element('div', { class: 'rule' }, describeRule(view.rule)),
    element('p', { class: 'explain' }, view.explain),
    element('div', { class: 'buttons' }, fire1, fire6),
    meter,
    usage,
    canvas,
    last,
    log,
  )
  const state = { view, meter, usage, canvas, last, log, history: [], countdown: undefined }
  fire1.addEventListener('click', () => void fire(state, 1))
  fire6.addEventListener('click', () => void fire(state, 6))
  return { panel, state }
}

async function fire(state, count) {
  const results = await Promise.all(Array.from({ length: count }, () => query(`lab.${state.view.id}`)))
  for (const result of results) showResponse(state, result)
  void poll(state)
}

function showResponse(state, { response, error }) {
  const refused = response.status === 429
  const retryAfter = error?.data?.rateLimit?.retryAfter
  const headers = ['ratelimit', 'ratelimit-policy', 'retry-after']
    .map((name) => [name, response.headers.get(name)])
    .filter(([, value]) => value !== null)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n')
  const status = element(
    'span',
    { class: `status ${refused ? 'refused' : response.ok ? 'ok' : ''}`, 'data-testid': 'status' },
    String(response.status),
  )
  const countdown = element('span', { class: 'countdown', 'data-testid': 'countdown' })
  const details = refused ? ` ${error?.data?.code ?? ''} — retryAfter: ${retryAfter} s` : ' admitted'
  state.last.replaceChildren(
    status,
    details,
    countdown,
    element('pre', { class: 'headers' }, headers || '(no rate-limit headers)'),
  )
  clearInterval(state.countdown)
  if (refused) startCountdown(state, countdown, Number(response.headers.get('retry-after') ?? retryAfter))
  const time = new Date().toLocaleTimeString()
  state.log.prepend(
    element('li', {}, `${time} ${response.status}${refused ? ` retry after ${retryAfter} s` : ''}`),
  )
  while (state.log.children.length > 20) state.log.lastElementChild.remove()
}

/** "retry in N s", counting down to "you may retry now". */
function startCountdown(state, node, seconds) {
  const until = Date.now() + seconds * 1000
  const tick = () => {
    const left = Math.ceil((until - Date.now()) / 1000)
    node.textContent = left > 0 ? `retry in ${left} s` : 'you may retry now'
    if (left <= 0) clearInterval(state.countdown)
  }
  tick()
  state.countdown = setInterval(tick, 250)
}

async function poll(state) {
  const { data } = await query('lab.usage', { view: state.view.id }).catch(() => ({ data: undefined }))
  if (!data) return
  if (data.unlimited) {
    state.usage.textContent = 'This caller is not limited here.'
    return
  }
  drawMeter(state, data)
  const now = Date.now()
  state.history.push({ at: now, used: data.used, limit: data.limit })
  while (state.history.length > 0 && state.history[0].at < now - HISTORY_MS) state.history.shift()
  drawHistory(state, now)
}

function drawMeter(state, { limit, used, resetMs }) {
  const cells = Math.min(limit, 60)
  const perCell = limit / cells
  const spans = Array.from({ length: cells }, (_, i) => {
    const fill = Math.max(0, Math.min(1, (used - i * perCell) / perCell))
    const span = element('span', { class: fill >= 1 ? 'used' : fill > 0 ? 'part' : '' })
    if (fill > 0 && fill < 1) span.style.setProperty('--part', `${Math.round(fill * 100)}%`)
    return span
  })
  state.meter.replaceChildren(...spans)
  const back = resetMs > 0 ? `, all back in ${(resetMs / 1000).toFixed(1)} s` : ''
  state.usage.textContent = `${used} of ${limit} used${back}`
}

/** The last 30 s of usage, as a step line scaled to the limit. */
function drawHistory(state, now) {
  const { canvas, history } = state
  const context = canvas.getContext('2d')
  const { width, height } = canvas
  context.clearRect(0, 0, width, height)
  if (history.length === 0) return
  const limit = history.at(-1).limit
  const x = (at) => width - ((now - at) / HISTORY_MS) * width
  const y = (used) => height - 4 - (Math.min(used, limit) / limit) * (height - 8)
  context.strokeStyle = '#c0262d55'
  context.beginPath()
  context.moveTo(0, y(limit))
  context.lineTo(width, y(limit))
  context.stroke()
  context.strokeStyle = '#2f6fde'
  context.lineWidth = 2
  context.beginPath()
  history.forEach((point, i) => {
    if (i === 0) context.moveTo(x(point.at), y(point.used))
    else context.lineTo(x(point.at), y(point.used))
  })
  context.stroke()
}

async function main() {
  const { data } = await query('lab.page')
  renderCallers(data.callers)
  const panels = data.views.map(createPanel)
  document.getElementById('views').replaceChildren(...panels.map((p) => p.panel))
  setInterval(() => {
    if (document.visibilityState !== 'visible') return
    for (const { state } of panels) void poll(state)
  }, POLL_MS)
}

void main()
