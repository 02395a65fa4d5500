// The autan serve page: a view of the API. Every text from a run (task, model output, tool
// arguments and results) is put in the page as text (textContent), never parsed as HTML.
"use strict";

const KINDS = ["run_started", "model_request", "model_response", "tool_call", "tool_started",
  "tool_result", "approval_requested", "approval_decided", "code_started", "code_finished",
  "policy_applied", "tier_started", "tier_ended", "final_answer", "error"];
const ENDS = new Set(["final_answer", "error"]);
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("autan-token") || "";
let selected = null;
let source = null;
let steps = [];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

function short(text, size = 160) {
  const flat = String(text ?? "");
  return flat.length > size ? flat.slice(0, size - 1) + "…" : flat;
}

async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (token) headers["Authorization"] = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(path, { method, headers,
    body: body === undefined ? undefined : JSON.stringify(body) });
  if (answer.status === 401) {
    $("token-form").hidden = false;
    throw new Error("the server wants its bearer token");
  }
  const data = await answer.json();
  if (!answer.ok) {
    const detail = Array.isArray(data.detail)
      ? data.detail.map((e) => e.loc.slice(1).join(".") + ": " + e.msg).join("; ")
      : data.detail;
    throw new Error(detail);
  }
  return data;
}

async function refreshRuns() {
  try {
    const page = await api("GET", "/v1/runs?limit=50");
    $("connection").textContent = "";
    const rows = page.runs.map((run) => {
      const row = el("tr", { "data-run": run.id },
        el("td", {}, el("code", {}, run.id.slice(0, 8))),
        el("td", {}, el("span", { class: "status s-" + run.status }, run.status)),
        el("td", { class: "task" }, short(run.task, 80)),
        el("td", {}, run.model),
        el("td", {}, run.usage.prompt_tokens + run.usage.completion_tokens),
        el("td", {}, run.cost_usd ? "$" + run.cost_usd.toFixed(4) : "–"),
        el("td", {}, run.seconds.toFixed(2)));
      if (run.id === selected) row.classList.add("selected");
      row.addEventListener("click", () => select(run.id));
      return row;
    });
    $("runs").tBodies[0].replaceChildren(...rows);
  } catch (problem) {
    $("connection").textContent = problem.message;
  }
}

async function refreshRun() {
  if (!selected) return;
  const run = await api("GET", "/v1/runs/" + selected);
  $("run-status").textContent = run.status;
  $("run-status").className = "status s-" + run.status;
  $("run-task").textContent = run.task;
  $("decision").hidden = !run.awaiting;
  if (run.awaiting) {
    $("awaited").textContent = run.awaiting.name + "(" + JSON.stringify(run.awaiting.arguments) + ")";
    $("awaited-reason").textContent = run.awaiting.reason
      ? "Why: " + run.awaiting.reason : "Why: " + run.awaiting.name + " asks before every call";
    $("copied").replaceChildren(...run.awaiting.copied.map((text) =>
      el("li", {}, "copied from untrusted text: ", el("code", {}, short(text, 300)))));
  }
  $("cancel").hidden = ["completed", "failed", "cancelled"].includes(run.status);
  $("answer-box").hidden = run.answer === null;
  $("answer").textContent = run.answer ?? "";
  $("run-error").textContent = run.error ? run.error.type + ": " + run.error.message
    : (run.problem || "");
}

function select(runId) {
  selected = runId;
  steps = [];
  if (source) source.close();
  $("writing").textContent = "";
  $("writing").hidden = true;
  $("run").hidden = false;
  $("run-id").textContent = runId;
  $("timeline").replaceChildren();
  drawChart();
  refreshRun().catch(showRunError);
  const query = token ? "?access_token=" + encodeURIComponent(token) : "";
  const live = (query ? query + "&" : "?") + "deltas=true";
  source = new EventSource("/v1/runs/" + encodeURIComponent(runId) + "/events" + live);
  const watching = source;
  watching.addEventListener("text_delta", (message) => {
    if (watching !== source) return;
    $("writing").hidden = false;
    $("writing").textContent += JSON.parse(message.data).text;
  });
  watching.addEventListener("child_event", (message) => {
    if (watching !== source) return;
    const line = describeChild(JSON.parse(message.data));
    if (line) $("timeline").append(line);
  });
  for (const kind of KINDS) {
    watching.addEventListener(kind, (message) => {
      if (watching !== source) return;
      show(kind, JSON.parse(message.data));
      if (ENDS.has(kind)) watching.close();
      refreshRun().catch(showRunError);
    });
  }
  refreshRuns();
}

function showRunError(problem) { $("run-error").textContent = problem.message; }

function show(kind, event) {
  if (kind === "model_response" || ENDS.has(kind)) {
    $("writing").textContent = "";  // the step's whole text is in the journal now
    $("writing").hidden = true;
  }
  const line = describe(kind, event);
  if (line) $("timeline").append(line);
}

function item(kind, label, ...rest) {
  return el("li", { class: "e-" + kind, "data-kind": kind }, el("span", { class: "k" }, label), ...rest);
}

function describe(kind, e) {
  switch (kind) {
    case "run_started": return item(kind, "started", e.model + " · tools: " + (e.tools.join(", ") || "none"));
    case "model_response": {
      steps.push(e.usage);
      drawChart();
      const u = e.usage;
      const node = item(kind, "[" + e.step + "] model",
        u.prompt_tokens + " prompt (" + u.cached_tokens + " cached) / " + u.completion_tokens +
        " completion tokens, " + e.seconds.toFixed(2) + " s");
      if (e.reasoning) node.append(el("details", {}, el("summary", {}, "reasoning"), el("pre", {}, e.reasoning)));
      if (e.text && e.tool_calls.length) node.append(el("pre", {}, short(e.text, 2000)));
      return node;
    }
    case "tool_call": return item(kind, "call", e.call.name + "(" + short(JSON.stringify(e.call.arguments), 300) + ")");
    case "tool_result": {
      const node = item(kind, e.is_error ? "✗ " + e.name : "→ " + e.name,
        short(e.output, 300) + " (" + e.seconds.toFixed(3) + " s)");
      if (e.is_error) node.classList.add("is-error");
      if (e.child) node.append(" · ", runLink(e.child.run_id, "child run " + e.child.run_id +
        " (" + e.child.agent + ", " + e.child.model_calls + " model calls)"));
      return node;
    }
    case "tier_started": return item(kind, "tier " + e.tier, e.model + " · ",
      runLink(e.run_id, "run " + e.run_id));
    case "tier_ended": return item(kind, "tier " + e.tier + " " + e.outcome,
      (e.reason ? e.reason + ": " + short(e.detail, 300) + " · " : "") + e.model_calls +
      " model calls, " + e.seconds.toFixed(2) + " s");
    case "approval_requested": return item(kind, "waits", "for approval of " + e.name +
      (e.reason ? ": " + e.reason : ""));
    case "policy_applied": return item(kind, e.action === "refuse" ? "✗ policy" : "policy",
      (e.action === "refuse" ? "refused " : "asks approval for ") + e.name + ": " + e.reason);
    case "approval_decided": return item(kind, e.approved ? "✓ approved" : "✗ denied", e.reason || "");
    case "code_started": return item(kind, "[" + e.step + "] code", el("pre", {}, e.code));
    case "code_finished": return item(kind, e.error ? "✗ code" : "→ code", short(e.stdout || e.error || "", 300));
    case "final_answer": return item(kind, "answer", short(e.output, 2000));
    case "error": return item(kind, "failed", e.error + ": " + e.message);
    default: return null;
  }
}

const CHILD_KINDS = new Set(["tool_call", "tool_result", "code_started", "code_finished",
  "approval_requested", "tier_started", "tier_ended"]);

function describeChild(e) {
  // an event of a child run (an agent or a cascade called as a tool), live, under its call
  let depth = 1;
  while (e.event.type === "child_event") { e = e.event; depth += 1; }
  const inner = e.event;
  const line = inner.type === "run_started"
    ? item("child_started", "started", runLink(e.run_id, "run " + e.run_id), " · " + inner.model)
    : CHILD_KINDS.has(inner.type) ? describe(inner.type, inner) : null;
  if (!line) return null;
  line.classList.add("child");
  line.querySelector(".k").prepend("↳ ".repeat(depth) + e.agent + " ");
  return line;
}

function runLink(runId, label) {
  // another run of the same store (a child run, a cascade's tier): its own view, live
  const link = el("a", { href: "#" }, label);
  link.addEventListener("click", (click) => { click.preventDefault(); select(runId); });
  return link;
}

function drawChart() {
  const svg = $("chart");
  const width = svg.clientWidth || 400;
  const top = Math.max(1, ...steps.map((u) => u.prompt_tokens + u.completion_tokens));
  const bar = Math.min(40, width / Math.max(steps.length, 1));
  const bars = [];
  steps.forEach((u, n) => {
    const prompt = 80 * u.prompt_tokens / top;
    const completion = 80 * u.completion_tokens / top;
    const x = n * bar + 2;
    const ns = "http://www.w3.org/2000/svg";
    for (const [cls, y, h, count] of [["prompt", 85 - prompt, prompt, u.prompt_tokens],
      ["completion", 85 - prompt - completion, completion, u.completion_tokens]]) {
      const rect = document.createElementNS(ns, "rect");
      for (const [k, v] of Object.entries({ x, y, width: bar - 4, height: h, class: cls })) rect.setAttribute(k, v);
      const title = document.createElementNS(ns, "title");
      title.textContent = "step " + (n + 1) + ": " + count + " " + cls + " tokens";
      rect.append(title);
      bars.push(rect);
    }
  });
  svg.replaceChildren(...bars);
}

async function decide(verdict) {
  try {
    await api("POST", "/v1/runs/" + selected + "/" + verdict, { reason: $("reason").value });
    $("reason").value = "";
    $("decision").hidden = true;
  } catch (problem) { showRunError(problem); }
}

function wire() {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("token")) {
    token = hash.get("token");
    sessionStorage.setItem("autan-token", token);
    history.replaceState(null, "", location.pathname);
  }
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    token = $("token").value.trim();
    sessionStorage.setItem("autan-token", token);
    $("token-form").hidden = true;
    refreshRuns();
  });
  $("start-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("start-error").textContent = "";
    const body = { task: $("task").value };
    if ($("model").value.trim()) body.model = $("model").value.trim();
    if ($("max-steps").value) body.limits = { max_steps: Number($("max-steps").value) };
    try {
      const run = await api("POST", "/v1/runs", body);
      $("task").value = "";
      select(run.id);
    } catch (problem) { $("start-error").textContent = problem.message; }
  });
  $("approve").addEventListener("click", () => decide("approve"));
  $("deny").addEventListener("click", () => decide("deny"));
  $("cancel").addEventListener("click", async () => {
    try { await api("POST", "/v1/runs/" + selected + "/cancel", {}); } catch (p) { showRunError(p); }
  });
  refreshRuns();
  setInterval(refreshRuns, 2000);
}

document.addEventListener("DOMContentLoaded", wire);
