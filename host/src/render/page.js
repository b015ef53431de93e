for (const button of document.querySelectorAll("button[data-open]")) {
  button.addEventListener("click", () => {
    const open = button.dataset.open === "true";
    for (const details of document.querySelectorAll("main details")) {
      details.open = open;
    }
  });
}
document.body.dataset.ready = "true";
