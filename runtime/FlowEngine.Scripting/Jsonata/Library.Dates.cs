namespace FlowEngine.Scripting.Jsonata;

internal static partial class Library
{
    private static object? Now(object?[] a, object? input, Frame environment)
    {
        var millis = (double)environment.Evaluation.Now.ToUnixTimeMilliseconds();
        return DateTimeFormatting.Format(millis, a[0] as string, a[1] as string);
    }

    private static object? FromMillis(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not double millis)
        {
            return Undefined.Value;
        }
        return DateTimeFormatting.Format(millis, a[1] as string, a[2] as string);
    }

    private static object? ToMillis(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not string text)
        {
            return Undefined.Value;
        }
        if (a[1] is string picture)
        {
            return DateTimeFormatting.Parse(text, picture, environment.Evaluation.Now) is { } millis ? millis : Undefined.Value;
        }
        return DateTimeFormatting.ParseIso(text);
    }
}
