namespace FlowEngine.Nodes.Industrial.Common;

/// <summary>Statistics over samples, defined once so window and anomaly nodes agree on every figure.</summary>
internal static class Statistics
{
    public static double Mean(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty) return double.NaN;
        var sum = 0.0;
        foreach (var v in values) sum += v;
        return sum / values.Length;
    }

    /// <summary>Sample standard deviation (divisor n − 1, as Excel's STDEV.S); 0 for a single sample.</summary>
    public static double SampleStandardDeviation(ReadOnlySpan<double> values)
    {
        if (values.Length < 2) return values.IsEmpty ? double.NaN : 0;
        var mean = Mean(values);
        var squares = 0.0;
        foreach (var v in values) squares += (v - mean) * (v - mean);
        return Math.Sqrt(squares / (values.Length - 1));
    }

    /// <summary>
    /// Quantile by linear interpolation between order statistics (Hyndman and Fan type 7: Excel's QUARTILE.INC,
    /// NumPy's default): position (n − 1) × p in the sorted samples.
    /// </summary>
    public static double Quantile(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.IsEmpty) return double.NaN;
        var position = (sorted.Length - 1) * p;
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}

/// <summary>Running aggregates of one window: constant memory, whatever the window holds.</summary>
internal struct RunningAggregate
{
    public long Count;
    public double Sum;
    public double Min;
    public double Max;
    public double First;
    public double Last;
    private double _mean;
    private double _m2;

    public void Add(double value)
    {
        if (Count == 0)
        {
            Min = Max = First = value;
        }
        else
        {
            if (value < Min) Min = value;
            if (value > Max) Max = value;
        }
        Last = value;
        Count++;
        Sum += value;
        // Welford's update: stable for long windows of large, close values where sum of squares would cancel.
        var delta = value - _mean;
        _mean += delta / Count;
        _m2 += delta * (value - _mean);
    }

    public readonly double Mean => Count == 0 ? double.NaN : Sum / Count;

    public readonly double StandardDeviation => Count < 2 ? (Count == 0 ? double.NaN : 0) : Math.Sqrt(_m2 / (Count - 1));

    public static RunningAggregate Of(ReadOnlySpan<double> values)
    {
        var aggregate = new RunningAggregate();
        foreach (var v in values) aggregate.Add(v);
        return aggregate;
    }
}
