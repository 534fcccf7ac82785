// Practice in the page. The server runs the same practice loop as the terminal; this
// page is its screen, speaker and microphone: it plays the questions the server renders,
// streams 16 kHz PCM from an AudioWorklet, and sends keys and buttons as JSON.
const $ = (id) => document.getElementById(id);
const form = $("setup");
let ws = null;
let ctx = null;
let mic = null; // { stream, source, node }
let playing = null;
let phase = "idle"; // "recording" | "choosing" | other
let last = null; // the latest result message

async function loadBanks() {
  const info = await (await fetch("/api/banks")).json();
  const fill = () => {
    const cats = (info[form.bank.value] || { categories: [] }).categories;
    form.category.innerHTML = "";
    for (const c of cats) form.category.add(new Option(c, c));
  };
  form.bank.addEventListener("change", fill);
  fill();
}

function send(obj) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
}

function buttons(list) {
  const box = $("buttons");
  box.innerHTML = "";
  for (const [label, msg, key] of list) {
    const b = document.createElement("button");
    b.textContent = `${label} (${key})`;
    b.dataset.key = key;
    b.id = `btn-${label.toLowerCase().replace(/\W+/g, "-")}`;
    b.addEventListener("click", () => act(msg));
    box.append(b);
  }
}

function act(msg) {
  if (msg.choice === "edit") return editTranscript();
  if (msg.choice) buttons([]);
  send(msg);
}

const LIVE_KEYS = () => [
  ["Done", { action: "done" }, "Enter"],
  ["Skip", { action: "skip" }, "s"],
  ...(form.mode.value === "practice" ? [["Hint", { action: "hint" }, "h"]] : []),
  ["Quit", { action: "quit" }, "q"],
];
const AFTER_KEYS = () => [
  ["Next", { choice: "next" }, "n"],
  ["Retry", { choice: "retry" }, "r"],
  ["Hear again", { choice: "repeat" }, "a"],
  ["Model answer", { choice: "model" }, "m"],
  ["Edit", { choice: "edit" }, "e"],
  ...(last && last.corrections && last.corrections.length
    ? [["Undo corrections", { choice: "undo" }, "u"]] : []),
  ["Quit", { choice: "quit" }, "q"],
];

document.addEventListener("keydown", (ev) => {
  if (ev.target.tagName === "TEXTAREA" || ev.target.tagName === "INPUT") return;
  const b = [...$("buttons").querySelectorAll("button")].find((x) => x.dataset.key === ev.key);
  if (b) { ev.preventDefault(); b.click(); }
});

async function openMic() {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  const source = ctx.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(ctx, "downsampler");
  node.port.onmessage = (ev) => { if (ws && ws.readyState === WebSocket.OPEN) ws.send(ev.data); };
  source.connect(node);
  mic = { stream, source, node };
}

function closeMic() {
  if (!mic) return;
  mic.source.disconnect();
  mic.node.port.onmessage = null;
  mic.stream.getTracks().forEach((t) => t.stop());
  mic = null;
}

function speak(url) {
  playing = new Audio(url);
  const done = () => { playing = null; send({ type: "played" }); };
  playing.addEventListener("ended", done);
  playing.addEventListener("error", done);
  playing.play().catch(done);
}

function meter(level) {
  $("level").style.width = `${Math.max(0, Math.min(100, (level + 60) / 60 * 100))}%`;
}

function esc(s) {
  const d = document.createElement("span");
  d.textContent = s;
  return d.innerHTML;
}

function renderResult(m) {
  last = m;
  const cls = m.score >= 70 ? "good" : m.score >= 40 ? "mid" : "low";
  const kps = m.key_points.map((k) => {
    const c = k.status === "partly covered" ? "partly" : k.status;
    const span = k.match && c !== "missed" ? ` <span class="muted">— “${esc(k.match)}”</span>` : "";
    return `<li class="kp ${c}" data-status="${esc(k.status)}">${esc(k.text)}${span}</li>`;
  }).join("");
  const words = m.words.length
    ? m.words.map((w) => `<span class="w${w.heard ? " fixed" : ""}" data-t="${w.start}"` +
        `${w.heard ? ` title="heard: ${esc(w.heard)}"` : ""}>${esc(w.text.trim())}</span>`).join(" ")
    : esc(m.transcript);
  const star = m.star
    ? `<h3>STAR</h3><ul class="plain" id="star">${["situation", "task", "action", "result"].map((p) =>
        `<li class="kp ${m.star[p] ? "covered" : "missed"}"><b>${p}</b> ${esc(m.star[p] || "")}</li>`).join("")}</ul>` +
      `<p class="note">${esc(m.star_note)}</p>`
    : "";
  $("result").innerHTML =
    `<p id="score" data-score="${m.score}"><span class="score ${cls}">${m.score.toFixed(0)}/100</span>` +
    ` <a href="/answers/${m.attempt}">answer #${m.attempt}</a></p>` +
    m.notes.map((n) => `<p class="note">${esc(n)}</p>`).join("") +
    `<audio id="player" controls preload="metadata" src="/audio/${m.attempt}"></audio>` +
    `<h3>Your answer</h3><p id="transcript" class="transcript words">${words}</p>` +
    `<h3>Key points</h3><ul class="plain" id="key-points">${kps}</ul>` +
    `<h3>Delivery</h3><ul class="plain" id="delivery">${m.delivery.map((d) => `<li>${esc(d)}</li>`).join("")}</ul>` +
    star + `<div id="model"></div>`;
  const player = $("player");
  $("result").querySelectorAll(".w").forEach((w) => w.addEventListener("click", () => {
    player.currentTime = Math.max(0, parseFloat(w.dataset.t) - 0.1);
    player.play();
  }));
  requestAnimationFrame(() => setTimeout(() => send({ type: "shown", at: Date.now() / 1000 }), 0));
}

function editTranscript() {
  if (!last) return;
  const box = $("transcript");
  box.outerHTML = `<textarea id="edit">${esc(last.transcript)}</textarea>` +
    `<button id="save-edit">Regrade</button>`;
  buttons([]);
  $("save-edit").addEventListener("click", () => send({ choice: "edit", text: $("edit").value }));
}

const handlers = {
  status: (m) => { $("status").textContent = m.text; },
  question: (m) => {
    phase = "question";
    $("progress").textContent = `Question ${m.index} of ${m.total} · ${m.category} · ${m.id}`;
    $("question").textContent = m.text;
    $("question").dataset.id = m.id;
    $("result").innerHTML = "";
    $("partial").textContent = "";
    $("hint").textContent = "";
    $("status").textContent = "";
    buttons([]);
  },
  speak: (m) => speak(m.url),
  hush: () => { if (playing) { playing.pause(); playing = null; } },
  record: async () => {
    if (phase !== "check") {
      phase = "recording";
      $("status").textContent = "Listening: answer aloud.";
      buttons(LIVE_KEYS());
    }
    try { await openMic(); } catch (e) {
      $("status").textContent = `Microphone unavailable: ${e.message}`;
      send({ action: "skip" });
    }
  },
  mic_check: (m) => {
    phase = "check";
    $("progress").textContent = `Microphone check (${m.seconds.toFixed(0)} s)`;
    $("question").textContent = `Say: “${m.sentence}”`;
    $("status").textContent = "Say the sentence while the meter moves.";
    $("mic-check").textContent = "";
    $("result").innerHTML = "";
    buttons([["Skip check", { action: "skip" }, "s"]]);
  },
  mic_level: (m) => {
    meter(m.level);
    $("clock").textContent = `${m.elapsed.toFixed(0)} s`;
  },
  mic_check_result: (m) => {
    phase = "checked";
    $("status").textContent = "";
    $("clock").textContent = "";
    const box = $("mic-check");
    box.dataset.verdict = m.verdict;
    box.className = m.passed ? "good" : "low";
    box.textContent = `${m.passed ? "✓" : "✗"} ${m.line}`;
    $("result").innerHTML = `<p class="transcript">${m.heard ? `Heard: “${esc(m.heard)}”` : "Heard: nothing"}</p>` +
      `<p class="muted">${esc(m.figures)}</p>`;
  },
  mic_check_choose: () => buttons([
    ["Try again", { choice: "retry" }, "r"],
    ["Continue anyway", { choice: "next" }, "n"],
  ]),
  listening: (m) => {
    meter(m.level);
    $("clock").textContent = `${m.elapsed.toFixed(0)} s · ${m.remaining.toFixed(0)} s left`;
    $("clock").classList.toggle("warn", m.warn);
    $("partial").textContent = m.partial;
    $("hint").textContent = m.hint ? `Hint: ${m.hint}` : "";
  },
  stop_record: () => { closeMic(); $("level").style.width = "0"; buttons([]); },
  transcribing: () => { phase = "grading"; $("status").textContent = "Grading…"; },
  result: (m) => {
    $("status").textContent = "";
    $("partial").textContent = "";
    $("hint").textContent = "";
    $("clock").textContent = "";
    renderResult(m);
  },
  taken: (m) => { $("status").textContent = `Answer kept (#${m.attempt}); scores come at the end.`; },
  choose: () => { phase = "choosing"; buttons(AFTER_KEYS()); },
  model_answer: (m) => {
    const box = $("model") || $("result");
    box.insertAdjacentHTML("beforeend", `<h3>Model answer</h3><p id="model-answer">${esc(m.text)}</p>`);
  },
  summary: (m) => {
    const rows = m.answers.map((a) => `<tr><td><a href="/answers/${a.id}">${esc(a.question)}</a></td>` +
      `<td>${a.score.toFixed(0)}</td></tr>`).join("");
    $("result").insertAdjacentHTML("beforeend", `<h2>Session summary</h2><table id="summary">` +
      `<tbody>${rows}</tbody></table>`);
  },
  end: (m) => { $("status").textContent = m.text || "Session over."; buttons([]); phase = "idle"; },
  error: (m) => { $("status").textContent = `Error: ${m.text}`; buttons([]); },
};

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  ctx = ctx || new AudioContext();
  await ctx.resume();
  await ctx.audioWorklet.addModule("/static/worklet.js");
  form.hidden = true;
  $("stage").hidden = false;
  ws = new WebSocket(`ws://${location.host}/ws/practice`);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => send({
    bank: form.bank.value,
    categories: [...form.category.selectedOptions].map((o) => o.value),
    count: form.count.value,
    order: form.order.value,
    mode: form.mode.value,
    check: form.check.value,
  });
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    (handlers[m.type] || (() => {}))(m);
  };
  ws.onclose = () => { closeMic(); if (phase !== "idle") $("status").textContent += " (disconnected)"; };
});

loadBanks().then(() => { document.body.dataset.ready = "1"; });
