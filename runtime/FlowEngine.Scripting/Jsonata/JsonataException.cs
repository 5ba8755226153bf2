namespace FlowEngine.Scripting.Jsonata;

/// <summary>
/// A JSONata compile or evaluation error. <see cref="Code"/> follows JSONata's own error codes
/// (S0xxx syntax, T0xxx/T1xxx/T2xxx type, D1xxx-D3xxx dynamic, U1001 limits) so users can look them up.
/// </summary>
public sealed class JsonataException : Exception
{
    internal JsonataException(string code, string message, int position = -1, string? token = null, object? value = null, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        Position = position;
        Token = token;
        Value = value;
    }

    /// <summary>The JSONata error code, for example "S0201" or "T2001".</summary>
    public string Code { get; }

    /// <summary>Zero-based character offset in the expression text where the error was found; -1 when unknown.</summary>
    public int Position { get; internal set; }

    /// <summary>The token or function name the error is about, when there is one.</summary>
    public string? Token { get; internal set; }

    /// <summary>The offending value, when there is one (null also when it was JSON null).</summary>
    public object? Value { get; }

    public override string ToString() => $"{Code}: {Message}" + (Position >= 0 ? $" (position {Position})" : "");
}
