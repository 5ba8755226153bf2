using FlowEngine.Core.Values;

namespace FlowEngine.Scripting.Jsonata;

internal static partial class Library
{
    private static object? Sort(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not List<object?> list)
        {
            return Undefined.Value;
        }
        if (list.Count <= 1)
        {
            return list;
        }
        var items = list.ToArray();
        if (a[1] is FunctionValue comparator)
        {
            StableSort.Sort(items, (x, y) => JavaScriptTruthy(Invoker.Apply(comparator, [x, y], Undefined.Value, environment)));
        }
        else
        {
            var allNumbers = true;
            var allStrings = true;
            foreach (var item in items)
            {
                allNumbers &= Values.IsNumeric(item);
                allStrings &= item is string;
            }
            if (!allNumbers && !allStrings)
            {
                throw Errors.Create("D3070", index: 1);
            }
            if (allNumbers)
            {
                StableSort.Sort(items, (x, y) => (double)x! > (double)y!);
            }
            else
            {
                StableSort.Sort(items, (x, y) => string.CompareOrdinal((string)x!, (string)y!) > 0);
            }
        }
        return new List<object?>(items);
    }

    /// <summary>A comparator's result is used as JavaScript would (any truthy value swaps), not as a JSONata boolean.</summary>
    private static bool JavaScriptTruthy(object? value) => value is not Undefined && JsValue.IsTruthy(value);

    private static object? Reverse(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not List<object?> list)
        {
            return Undefined.Value;
        }
        if (list.Count <= 1)
        {
            return list;
        }
        var result = new List<object?>(list);
        result.Reverse();
        return result;
    }

    private static object? Shuffle(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not List<object?> list)
        {
            return Undefined.Value;
        }
        if (list.Count <= 1)
        {
            return list;
        }
        var items = list.ToArray();
        Random.Shared.Shuffle(items);
        return new List<object?>(items);
    }

    private static object? Distinct(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not List<object?> { Count: > 1 } list)
        {
            return a[0];
        }
        var results = Values.IsSequence(list) ? JsonataList.NewSequence() : new List<object?>();
        foreach (var value in list)
        {
            var seen = false;
            foreach (var existing in results)
            {
                if (Values.DeepEquals(value, existing))
                {
                    seen = true;
                    break;
                }
            }
            if (!seen)
            {
                results.Add(value);
            }
        }
        return results;
    }

    private static object? Zip(object?[] a, object? input, Frame environment)
    {
        var length = int.MaxValue;
        foreach (var arg in a)
        {
            length = Math.Min(length, arg is List<object?> list ? list.Count : 0);
        }
        if (a.Length == 0)
        {
            length = 0;
        }
        var result = new List<object?>(length);
        for (var i = 0; i < length; i++)
        {
            var tuple = new List<object?>(a.Length);
            foreach (var arg in a)
            {
                tuple.Add(((List<object?>)arg!)[i]);
            }
            result.Add(tuple);
        }
        return result;
    }

    private static object? Map(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not List<object?> list)
        {
            return Undefined.Value;
        }
        var function = (FunctionValue)a[1]!;
        var result = JsonataList.NewSequence(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            var value = Invoker.CallWithItem(function, list[i], i, list, environment);
            if (value is not Undefined)
            {
                result.Add(value);
            }
        }
        return result;
    }

    private static object? Filter(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not List<object?> list)
        {
            return Undefined.Value;
        }
        var function = (FunctionValue)a[1]!;
        var result = JsonataList.NewSequence();
        for (var i = 0; i < list.Count; i++)
        {
            if (Values.Truthy(Invoker.CallWithItem(function, list[i], i, list, environment)))
            {
                result.Add(list[i]);
            }
        }
        return result;
    }

    private static object? Single(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not List<object?> list)
        {
            return Undefined.Value;
        }
        var function = a[1] as FunctionValue;
        var found = false;
        object? result = Undefined.Value;
        for (var i = 0; i < list.Count; i++)
        {
            var matches = function is null || Values.Truthy(Invoker.CallWithItem(function, list[i], i, list, environment));
            if (!matches)
            {
                continue;
            }
            if (found)
            {
                throw Errors.Create("D3138", index: i);
            }
            result = list[i];
            found = true;
        }
        if (!found)
        {
            throw Errors.Create("D3139");
        }
        return result;
    }

    private static object? Reduce(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not List<object?> list)
        {
            return Undefined.Value;
        }
        var function = (FunctionValue)a[1]!;
        var arity = function.Arity;
        if (arity < 2)
        {
            throw Errors.Create("D3050", index: 1);
        }
        object? result;
        int index;
        if (a[2] is Undefined && list.Count > 0)
        {
            result = list[0];
            index = 1;
        }
        else
        {
            result = a[2];
            index = 0;
        }
        for (; index < list.Count; index++)
        {
            object?[] args = arity switch
            {
                2 => [result, list[index]],
                3 => [result, list[index], (double)index],
                _ => [result, list[index], (double)index, list],
            };
            result = Invoker.Apply(function, args, Undefined.Value, environment);
        }
        return result;
    }

    private static object? Keys(object?[] a, object? input, Frame environment)
    {
        var result = JsonataList.NewSequence();
        switch (a[0])
        {
            case JsObject obj:
                foreach (var key in obj.Keys)
                {
                    result.Add(key);
                }
                break;
            case List<object?> list:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var item in list)
                {
                    if (item is JsObject itemObject)
                    {
                        foreach (var key in itemObject.Keys)
                        {
                            if (seen.Add(key))
                            {
                                result.Add(key);
                            }
                        }
                    }
                }
                break;
        }
        return result;
    }

    private static object? Spread(object?[] a, object? input, Frame environment) => SpreadValue(a[0]);

    private static object? SpreadValue(object? value)
    {
        switch (value)
        {
            case List<object?> list:
                object? result = JsonataList.NewSequence();
                foreach (var item in list)
                {
                    result = Values.Append(result, SpreadValue(item));
                }
                return result;
            case JsObject obj:
                var pairs = JsonataList.NewSequence(obj.Count);
                foreach (var (key, item) in obj)
                {
                    pairs.Add(new JsObject(1) { [key] = item });
                }
                return pairs;
            default:
                return value;
        }
    }

    private static object? Merge(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not List<object?> list)
        {
            return Undefined.Value;
        }
        var result = new JsObject();
        foreach (var item in list)
        {
            if (item is JsObject obj)
            {
                foreach (var (key, value) in obj)
                {
                    result[key] = value;
                }
            }
        }
        return result;
    }

    private static object? Each(object?[] a, object? input, Frame environment)
    {
        var result = JsonataList.NewSequence();
        if (a[0] is not JsObject obj)
        {
            return result;
        }
        var function = (FunctionValue)a[1]!;
        foreach (var (key, value) in obj)
        {
            var mapped = Invoker.CallWithEntry(function, value, key, obj, environment);
            if (mapped is not Undefined)
            {
                result.Add(mapped);
            }
        }
        return result;
    }

    private static object? Sift(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not JsObject obj || a[1] is not FunctionValue function)
        {
            return Undefined.Value;
        }
        var result = new JsObject();
        foreach (var (key, value) in obj)
        {
            if (Values.Truthy(Invoker.CallWithEntry(function, value, key, obj, environment)))
            {
                result[key] = value;
            }
        }
        return result.Count == 0 ? Undefined.Value : result;
    }

    private static object? Assert(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not true)
        {
            throw Errors.Create("D3141", value: a[1] as string ?? "$assert() statement failed");
        }
        return Undefined.Value;
    }
}
