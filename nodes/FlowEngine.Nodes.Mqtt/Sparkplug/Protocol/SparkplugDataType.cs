namespace FlowEngine.Nodes.Mqtt.Sparkplug.Protocol;

/// <summary>Metric, property and dataset column data types (Sparkplug 3.0 §6.4.16, the numbers are the wire values).</summary>
internal enum SparkplugDataType : uint
{
    Unknown = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    UInt8 = 5,
    UInt16 = 6,
    UInt32 = 7,
    UInt64 = 8,
    Float = 9,
    Double = 10,
    Boolean = 11,
    String = 12,
    DateTime = 13,
    Text = 14,
    UUID = 15,
    DataSet = 16,
    Bytes = 17,
    File = 18,
    Template = 19,
    PropertySet = 20,
    PropertySetList = 21,
    Int8Array = 22,
    Int16Array = 23,
    Int32Array = 24,
    Int64Array = 25,
    UInt8Array = 26,
    UInt16Array = 27,
    UInt32Array = 28,
    UInt64Array = 29,
    FloatArray = 30,
    DoubleArray = 31,
    BooleanArray = 32,
    StringArray = 33,
    DateTimeArray = 34,
}

internal static class SparkplugDataTypes
{
    private static readonly Dictionary<string, SparkplugDataType> ByName =
        Enum.GetValues<SparkplugDataType>().ToDictionary(t => t.ToString(), t => t, StringComparer.OrdinalIgnoreCase);

    /// <summary>A data type from its name ("Int32", "double", case-insensitive) or its number; null when neither.</summary>
    public static SparkplugDataType? Parse(object? value) => value switch
    {
        string s when ByName.TryGetValue(s.Trim(), out var t) && t != SparkplugDataType.Unknown => t,
        string s when uint.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) => FromNumber(n),
        double d when d == Math.Floor(d) && d is >= 1 and <= 34 => (SparkplugDataType)(uint)d,
        _ => null,
    };

    public static SparkplugDataType? FromNumber(uint number) => number is >= 1 and <= 34 ? (SparkplugDataType)number : null;

    public static bool IsArray(this SparkplugDataType type) => type >= SparkplugDataType.Int8Array;

    public static bool IsSignedInteger(this SparkplugDataType type) => type is SparkplugDataType.Int8 or SparkplugDataType.Int16 or SparkplugDataType.Int32 or SparkplugDataType.Int64;

    public static bool IsUnsignedInteger(this SparkplugDataType type) => type is SparkplugDataType.UInt8 or SparkplugDataType.UInt16 or SparkplugDataType.UInt32 or SparkplugDataType.UInt64;

    public static readonly string[] Names = Enum.GetValues<SparkplugDataType>().Where(t => t != SparkplugDataType.Unknown).Select(t => t.ToString()).ToArray();
}
