// Bank import: the file goes up as the request body; the server validates it as
// `mockint bank import` does and says what is wrong, with the line.
const form = document.getElementById("import");
const out = document.getElementById("import-result");
form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = form.file.files[0];
  if (!file) return;
  const q = new URLSearchParams({ filename: file.name, name: form.name.value });
  if (form.replace.checked) q.set("replace", "1");
  const r = await fetch(`/banks/import?${q}`, { method: "POST", body: file });
  let data;
  try { data = await r.json(); } catch { data = { error: `${r.status} ${await r.text()}` }; }
  out.textContent = data.error ? `Error: ${data.error}` : `Imported bank '${data.imported}'.`;
  if (!data.error) setTimeout(() => location.reload(), 800);
});
