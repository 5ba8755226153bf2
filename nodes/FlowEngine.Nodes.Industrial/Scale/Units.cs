namespace FlowEngine.Nodes.Industrial.Scale;

/// <summary>A unit of measure: its quantity and the affine map to the quantity's SI base unit (si = value × Factor + Offset).</summary>
internal sealed record Unit(string Symbol, string Quantity, double Factor, double Offset = 0)
{
    public double ToBase(double value) => value * Factor + Offset;
    public double FromBase(double value) => (value - Offset) / Factor;
}

/// <summary>
/// The units the scale node converts between. Factors are exact by definition where a definition exists (inch =
/// 0.0254 m, pound = 0.45359237 kg, psi from the pound-force, calorie = 4.184 J thermochemical, US gallon = 231 in³,
/// BTU = International Table BTU); temperatures are absolute temperatures, not differences.
/// </summary>
internal static class Units
{
    private const double Inch = 0.0254;
    private const double Foot = 0.3048;
    private const double Pound = 0.45359237;
    private const double StandardGravity = 9.80665;
    private const double UsGallon = 231 * Inch * Inch * Inch;
    private const double CubicFoot = Foot * Foot * Foot;
    private const double Barrel = 42 * UsGallon;

    private static readonly Unit[] All =
    [
        // Temperature, base kelvin.
        new("degC", "temperature", 1, 273.15),
        new("degF", "temperature", 5.0 / 9.0, 273.15 - 32 * 5.0 / 9.0),
        new("K", "temperature", 1),
        new("degR", "temperature", 5.0 / 9.0),
        // Pressure, base pascal.
        new("Pa", "pressure", 1),
        new("hPa", "pressure", 100),
        new("kPa", "pressure", 1e3),
        new("MPa", "pressure", 1e6),
        new("mbar", "pressure", 100),
        new("bar", "pressure", 1e5),
        new("psi", "pressure", Pound * StandardGravity / (Inch * Inch)),
        new("atm", "pressure", 101325),
        new("torr", "pressure", 101325.0 / 760),
        new("mmHg", "pressure", 133.322387415),
        new("inHg", "pressure", 3386.389),
        new("inH2O", "pressure", 249.08891),
        new("mmH2O", "pressure", 9.80665),
        new("mH2O", "pressure", 9806.65),
        // Volumetric flow, base m³/s.
        new("m3/s", "flow", 1),
        new("m3/min", "flow", 1.0 / 60),
        new("m3/h", "flow", 1.0 / 3600),
        new("L/s", "flow", 1e-3),
        new("L/min", "flow", 1e-3 / 60),
        new("L/h", "flow", 1e-3 / 3600),
        new("gpm", "flow", UsGallon / 60),
        new("gph", "flow", UsGallon / 3600),
        new("cfm", "flow", CubicFoot / 60),
        new("cfh", "flow", CubicFoot / 3600),
        new("bbl/d", "flow", Barrel / 86400),
        // Mass flow, base kg/s.
        new("kg/s", "massflow", 1),
        new("kg/min", "massflow", 1.0 / 60),
        new("kg/h", "massflow", 1.0 / 3600),
        new("t/h", "massflow", 1000.0 / 3600),
        new("lb/s", "massflow", Pound),
        new("lb/min", "massflow", Pound / 60),
        new("lb/h", "massflow", Pound / 3600),
        // Length, base metre.
        new("mm", "length", 1e-3),
        new("cm", "length", 1e-2),
        new("m", "length", 1),
        new("km", "length", 1e3),
        new("in", "length", Inch),
        new("ft", "length", Foot),
        new("yd", "length", 0.9144),
        new("mi", "length", 1609.344),
        // Mass, base kilogram.
        new("mg", "mass", 1e-6),
        new("g", "mass", 1e-3),
        new("kg", "mass", 1),
        new("t", "mass", 1e3),
        new("oz", "mass", Pound / 16),
        new("lb", "mass", Pound),
        new("ton", "mass", 2000 * Pound),
        // Energy, base joule.
        new("J", "energy", 1),
        new("kJ", "energy", 1e3),
        new("MJ", "energy", 1e6),
        new("GJ", "energy", 1e9),
        new("Wh", "energy", 3600),
        new("kWh", "energy", 3.6e6),
        new("MWh", "energy", 3.6e9),
        new("cal", "energy", 4.184),
        new("kcal", "energy", 4184),
        new("BTU", "energy", 1055.05585262),
        new("therm", "energy", 105505585.262),
        // Power, base watt.
        new("W", "power", 1),
        new("kW", "power", 1e3),
        new("MW", "power", 1e6),
        new("hp", "power", 745.69987158227022),
    ];

    /// <summary>Other spellings users write, mapped to the symbols above.</summary>
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["C"] = "degC", ["°C"] = "degC", ["celsius"] = "degC",
        ["F"] = "degF", ["°F"] = "degF", ["fahrenheit"] = "degF",
        ["kelvin"] = "K", ["R"] = "degR", ["°R"] = "degR", ["rankine"] = "degR",
        ["m³/s"] = "m3/s", ["m³/min"] = "m3/min", ["m³/h"] = "m3/h",
        ["l/s"] = "L/s", ["l/min"] = "L/min", ["l/h"] = "L/h",
        ["lpm"] = "L/min", ["GPM"] = "gpm", ["CFM"] = "cfm",
        ["Btu"] = "BTU", ["btu"] = "BTU",
    };

    private static readonly Dictionary<string, Unit> BySymbol = All.ToDictionary(u => u.Symbol, StringComparer.Ordinal);

    /// <summary>Every symbol, in the order of the list (editor options).</summary>
    public static IReadOnlyList<string> Symbols { get; } = All.Select(u => u.Symbol).ToList();

    public static Unit? Find(string symbol)
    {
        var text = symbol.Trim();
        if (BySymbol.TryGetValue(text, out var unit)) return unit;
        return Aliases.TryGetValue(text, out var canonical) ? BySymbol[canonical] : null;
    }
}
