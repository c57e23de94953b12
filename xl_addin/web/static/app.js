"use strict";
// The page only sends the files and shows what the server's run() returns: no rule of its own.
const $ = (id) => document.getElementById(id);
let chosen = [];
let issues = [];
let sortKey = null, sortUp = true;
let labels = {};          // table kind -> its name (from the server's specs)
const EXCEL = /\.(xlsx|xlsm|xls|docx)$/i;   // .docx: the SME cluster 申报表

function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value == null ? "" : String(value);
  if (cls) el.className = cls;
  return el;
}

function pick(files) {
  chosen = Array.from(files).filter((f) => EXCEL.test(f.name) && !f.name.startsWith("~$"));
  $("picked").textContent = chosen.length ? `已选择 ${chosen.length} 个文件：` + chosen.slice(0, 5).map((f) => f.name).join("、") + (chosen.length > 5 ? "……" : "") : "尚未选择文件";
  $("go").disabled = chosen.length === 0;
}

async function walk(entry, out) {       // a dropped folder, read recursively
  if (entry.isFile) {
    out.push(await new Promise((ok, no) => entry.file(ok, no)));
  } else if (entry.isDirectory) {
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((ok, no) => reader.readEntries(ok, no));
      if (!batch.length) break;
      for (const e of batch) await walk(e, out);
    }
  }
}

function show(data) {
  $("result").hidden = false;
  const s = data.summary, ul = $("summary");
  ul.replaceChildren();
  const ok = data.inputs.filter((i) => i.status === "ok").length;
  const rows = data.inputs.reduce((a, i) => [a[0] + i.rows_read, a[1] + i.rows_accepted, a[2] + i.rows_rejected], [0, 0, 0]);
  const errors = data.issues.filter((i) => i.severity === "error").length;
  const lines = [`文件：${data.inputs.length} 个（接收 ${ok}，拒收 ${data.inputs.length - ok}）`];
  if (Array.isArray(data.clusters)) lines.push(`中小企业特色产业集群申报表：${s.forms} 份，列入推荐汇总表 ${s.clusters} 个`);
  else lines.push(`数据行：读取 ${rows[0]}，接收 ${rows[1]}，剔除 ${rows[2]}`, `申报单位：${s.units} 个；项目：${s.projects} 个`);
  for (const [key, section] of Object.entries(data)) {
    if (section && typeof section === "object" && Array.isArray(section.enterprises) && section.enterprises.length) {
      let line = `${labels[key] || key}：${section.enterprises.length} 个`;
      if (section.total !== undefined) line += `，合计 ${section.total.toFixed(2)} 万元，测算补助 ${section.subsidy.toFixed(2)} 万元`;
      if (section.counts) line += "（" + Object.entries(section.counts).map(([k, v]) => `${k} ${v}`).join("，") + "）";
      lines.push(line);
    }
  }
  lines.push(`问题：错误 ${errors} 个，警告 ${data.issues.length - errors} 个`);
  if (data.checks_skipped && data.checks_skipped.length) lines.push("未进行的检查（未提供台账）：" + data.checks_skipped.join("、"));
  for (const l of lines) ul.append(text("li", l));
  const dl = $("downloads");
  dl.replaceChildren();
  for (const [name, url] of Object.entries(data.downloads)) {
    const a = text("a", name);
    a.href = url;
    a.download = name;
    const li = document.createElement("li");
    li.append(a);
    dl.append(li);
  }
  const body = $("inputs").tBodies[0];
  body.replaceChildren();
  for (const i of data.inputs) {
    const tr = document.createElement("tr");
    for (const v of [i.path, i.status === "ok" ? "已接收" : "已拒收", i.reason, i.rows_read, i.rows_accepted, i.rows_rejected]) tr.append(text("td", v));
    body.append(tr);
  }
  issues = data.issues;
  const files = $("filter-file");
  files.replaceChildren(text("option", "全部"));
  files.options[0].value = "";
  for (const p of [...new Set(issues.map((i) => i.path))]) { const o = text("option", p); o.value = p; files.append(o); }
  render();
}

function render() {
  const file = $("filter-file").value, sev = $("filter-severity").value;
  let list = issues.filter((i) => (!file || i.path === file) && (!sev || i.severity === sev));
  if (sortKey) list = [...list].sort((a, b) => String(a[sortKey] ?? "").localeCompare(String(b[sortKey] ?? ""), "zh") * (sortUp ? 1 : -1));
  const body = $("issues").tBodies[0];
  body.replaceChildren();
  for (const i of list) {
    const tr = document.createElement("tr");
    tr.className = i.severity;
    for (const v of [i.severity === "error" ? "错误" : "警告", i.path, i.sheet, i.cell, i.column, i.message]) tr.append(text("td", v));
    body.append(tr);
  }
  $("count").textContent = `（显示 ${list.length} / ${issues.length} 条）`;
}

function send() {
  const form = new FormData();
  form.append("city", $("city").value);
  for (const f of chosen) form.append("files", f, f.name);
  const xhr = new XMLHttpRequest();
  $("progress").hidden = false;
  $("error").hidden = true;
  $("go").disabled = true;
  $("stage").textContent = "正在上传到本机……";
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) $("bar").value = Math.round(e.loaded / e.total * 100); };
  xhr.upload.onload = () => { $("bar").removeAttribute("value"); $("stage").textContent = `正在读取和校验 ${chosen.length} 个报表……`; };
  xhr.onload = () => {
    $("progress").hidden = true;
    $("go").disabled = false;
    let data = null;
    try { data = JSON.parse(xhr.responseText); } catch (e) { /* shown below */ }
    if (xhr.status !== 200 || !data || data.error) {
      $("error").textContent = (data && data.error) || `汇总失败（${xhr.status}）`;
      $("error").hidden = false;
      return;
    }
    show(data);
  };
  xhr.onerror = () => { $("progress").hidden = true; $("go").disabled = false; $("error").textContent = "无法连接本机服务，请确认 xl-addin serve 仍在运行。"; $("error").hidden = false; };
  xhr.open("POST", "/api/consolidate");
  xhr.send(form);
}

window.addEventListener("DOMContentLoaded", async () => {
  try {
    const info = await (await fetch("/api/cities")).json();
    labels = info.tables || {};
    for (const c of info.cities) { const o = text("option", c); o.value = c; $("city").append(o); }
  } catch (e) { /* the city stays inferred */ }
  $("files").addEventListener("change", (e) => pick(e.target.files));
  $("folder").addEventListener("change", (e) => pick(e.target.files));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", async (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const out = [];
    const items = Array.from(e.dataTransfer.items || []).map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
    if (items.length) { for (const entry of items) await walk(entry, out); } else out.push(...e.dataTransfer.files);
    pick(out);
  });
  $("go").addEventListener("click", send);
  $("filter-file").addEventListener("change", render);
  $("filter-severity").addEventListener("change", render);
  for (const th of document.querySelectorAll("#issues th")) {
    th.addEventListener("click", () => { sortUp = sortKey === th.dataset.key ? !sortUp : true; sortKey = th.dataset.key; render(); });
  }
});
