// The plant the HMI tests drive: one tank with a temperature gauge, controls, a trend, an alarm list, and a second page.
const z = "hmitab000000001";

const inject = (id, payload, payloadType, topic, wires, once = false) => ({
  id, type: "inject", z, name: id, props: [{ p: "payload" }, { p: "topic", vt: "str" }], repeat: "", crontab: "",
  once, onceDelay: 0.1, topic, payload, payloadType, x: 100, y: 100, wires: [wires],
});

const seedTrend = `
const now = Date.now();
const out = [];
for (let i = 60; i >= 0; i--) {
  const t = now - i * 10000;
  out.push({ topic: "TT-101", payload: 62 + 14 * Math.sin(i / 8), timestamp: t });
  out.push({ topic: "TT-102", payload: 44 + 9 * Math.cos(i / 6), timestamp: t });
}
return [out];`;

export const flows = [
  { id: z, type: "tab", label: "Plant", disabled: false, info: "" },
  { id: "hmitheme", type: "hmi-theme", name: "theme", mode: "day", accent: "#0a6ebd", title: "Tank farm" },
  { id: "pagemain", type: "hmi-page", title: "Process", order: 1, icon: "" },
  { id: "pagemore", type: "hmi-page", title: "Logbook", order: 2, icon: "" },
  { id: "grptank", type: "hmi-group", page: "pagemain", title: "Tank 1", order: 1, width: 6 },
  { id: "grpctl", type: "hmi-group", page: "pagemain", title: "Controls", order: 2, width: 6 },
  { id: "grptrend", type: "hmi-group", page: "pagemain", title: "Trend", order: 3, width: 6 },
  { id: "grpalarm", type: "hmi-group", page: "pagemain", title: "Alarms", order: 4, width: 6 },
  { id: "grplog", type: "hmi-group", page: "pagemore", title: "Shift log", order: 1, width: 12 },

  { id: "gauge1", type: "hmi-gauge", z, group: "grptank", order: 1, width: 6, label: "Temperature", min: 0, max: 120, unit: "°C", decimals: 1, lolo: "", lo: "10", hi: "80", hihi: "100", wires: [] },
  { id: "numeric1", type: "hmi-numeric", z, group: "grptank", order: 2, width: 6, label: "Level", unit: "%", decimals: 1, wires: [] },
  { id: "led1", type: "hmi-led", z, group: "grptank", order: 3, width: 6, label: "Heater", wires: [] },
  { id: "text1", type: "hmi-text", z, group: "grptank", order: 4, width: 6, label: "Last pump command by", wires: [] },

  { id: "btn1", type: "hmi-button", z, group: "grpctl", order: 1, width: 6, label: "Start pump", topic: "pump", payload: "start", payloadType: "str", confirm: "", wires: [["who1"]] },
  { id: "who1", type: "change", z, name: "who pressed", rules: [{ t: "set", p: "payload", pt: "msg", to: "_client.user", tot: "msg" }], wires: [["text1"]] },
  { id: "switch1", type: "hmi-switch", z, group: "grpctl", order: 2, width: 6, label: "Heater", topic: "heater", confirm: "", wires: [["led1"]] },
  { id: "slider1", type: "hmi-slider", z, group: "grpctl", order: 3, width: 12, label: "Setpoint", min: 0, max: 120, step: 1, unit: "°C", topic: "sp", confirm: "", wires: [] },
  { id: "mode1", type: "hmi-dropdown", z, group: "grpctl", order: 4, width: 6, label: "Mode", options: "[\"auto\", \"manual\"]", topic: "mode", confirm: "", wires: [] },
  { id: "flow1", type: "hmi-number-input", z, group: "grpctl", order: 5, width: 6, label: "Flow limit", min: 0, max: 50, step: 0.5, unit: "m³/h", topic: "flow", confirm: "", wires: [] },

  { id: "chart1", type: "hmi-chart", z, group: "grptrend", order: 1, width: 0, label: "Temperatures", window: 600, maxPoints: 1000, ymin: "", ymax: "", unit: "°C", wires: [] },
  { id: "alarms1", type: "hmi-alarm-list", z, group: "grpalarm", order: 1, width: 0, label: "", tags: "", wires: [] },
  { id: "alarmnode", type: "alarm", z, name: "tank alarms", tagProperty: "topic", property: "payload", qualityProperty: "quality",
    rules: [{ tag: "TT-101", type: "HI", limit: 80, hysteresis: 1, priority: "high", message: "{tag} temperature high" }],
    topic: "alarms/{tag}/{condition}", shelveDuration: 3600, maxShelveDuration: 86400, wires: [[], []] },

  { id: "table1", type: "hmi-table", z, group: "grplog", order: 1, width: 0, label: "Entries", columns: "time,who,note", maxRows: 200, wires: [] },

  inject("inj85", "85", "num", "TT-101", ["gauge1", "alarmnode"]),
  inject("inj42", "42", "num", "TT-101", ["gauge1", "alarmnode"]),
  inject("injlevel", "72.5", "num", "LT-101", ["numeric1"], true),
  inject("injtrend", "", "date", "", ["seedtrend"], true),
  { id: "seedtrend", type: "function", z, name: "trend history", func: seedTrend, outputs: 1, noerr: 0, initialize: "", finalize: "", libs: [], wires: [["chart1"]] },
  inject("injlog", "[{\"time\":\"06:00\",\"who\":\"olivia\",\"note\":\"Shift start, all normal\"},{\"time\":\"07:15\",\"who\":\"olivia\",\"note\":\"Filter changed on P-2\"}]", "json", "", ["table1"], true),
];
