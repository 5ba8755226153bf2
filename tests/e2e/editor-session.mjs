// What a person does in the editor, as small steps on a Playwright page (shared by the editor e2e tests).

export async function openEditor(page, baseUrl) {
  await page.goto(baseUrl);
  await page.locator('.palette-node[data-type="inject"]').waitFor({ state: "attached" });
  await page.locator("g.node, svg.canvas").first().waitFor({ state: "attached" });
}

/** Presses on a palette entry and releases it over the canvas at (x, y) from the canvas's top-left corner. */
export async function dragFromPalette(page, type, x, y) {
  const entry = await page.locator(`.palette-node[data-type="${type}"]`).boundingBox();
  const canvas = await page.locator("svg.canvas").boundingBox();
  await page.mouse.move(entry.x + entry.width / 2, entry.y + entry.height / 2);
  await page.mouse.down();
  await page.mouse.move(canvas.x + x, canvas.y + y, { steps: 8 });
  await page.mouse.up();
  return page.locator(`g.node[data-type="${type}"]`).last().getAttribute("data-node");
}

export async function centre(locator) {
  const box = await locator.boundingBox();
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags with the mouse from one page point to another in small steps. */
export async function dragMouse(page, from, to, steps = 10) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps });
  await page.mouse.up();
}

/** Drags a selection box on the canvas between two points given from the canvas's top-left corner. */
export async function boxSelect(page, x1, y1, x2, y2) {
  const canvas = await page.locator("svg.canvas").boundingBox();
  await dragMouse(page, { x: canvas.x + x1, y: canvas.y + y1 }, { x: canvas.x + x2, y: canvas.y + y2 });
}

export async function menu(page, action) {
  await page.locator(".menu-button").click();
  await page.locator(`.main-menu [data-action="${action}"]`).click();
}

export async function deployWithButton(page) {
  // An earlier deploy's notification is still up for a few seconds: wait for this deploy's answer.
  const answered = page.waitForResponse((r) => r.url().endsWith("/flows") && r.request().method() === "POST");
  await page.locator(".notification").evaluateAll((notes) => notes.forEach((n) => n.remove()));
  await page.locator(".deploy-button").click();
  await answered;
  await page.locator(".notification.success", { hasText: "Successfully deployed" }).waitFor();
}

export async function nodePosition(page, id) {
  const node = page.locator(`g.node[data-node="${id}"]`);
  return { x: Number(await node.getAttribute("data-x")), y: Number(await node.getAttribute("data-y")) };
}
