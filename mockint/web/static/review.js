// Review: a click on a word plays the recording from that word.
const player = document.getElementById("player");
let current = null;
document.querySelectorAll(".w[data-t]").forEach((w) => {
  w.addEventListener("click", () => {
    if (!player) return;
    player.currentTime = Math.max(0, parseFloat(w.dataset.t) - 0.1);
    player.play();
    if (current) current.classList.remove("playing");
    current = w;
    w.classList.add("playing");
  });
});
document.body.dataset.ready = "1";
