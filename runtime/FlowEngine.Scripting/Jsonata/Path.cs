using FlowEngine.Core.Values;

namespace FlowEngine.Scripting.Jsonata;

/// <summary>
/// The items flowing between path steps. A path over one object must not allocate a sequence per step,
/// so a single item is carried as itself; <see cref="Raw"/> is an array a last step returned whole.
/// </summary>
internal readonly struct StepItems
{
    private const byte EmptyKind = 0;
    private const byte SingleKind = 1;
    private const byte SequenceKind = 2;
    private const byte RawKind = 3;

    private readonly List<object?>? _list;
    private readonly object? _single;
    private readonly byte _kind;

    private StepItems(List<object?>? list, object? single, byte kind)
    {
        _list = list;
        _single = single;
        _kind = kind;
    }

    public static StepItems Empty => default;

    public static StepItems One(object? item) => new(null, item, SingleKind);

    public static StepItems Sequence(List<object?> items) => new(items, null, SequenceKind);

    public static StepItems Raw(List<object?> array) => new(array, null, RawKind);

    /// <summary>A whole evaluated value as the items of a sequence.</summary>
    public static StepItems FromValue(object? value) => value switch
    {
        Undefined => Empty,
        JsonataList { IsSequence: true } sequence => Sequence(sequence),
        List<object?> array => Raw(array),
        _ => One(value),
    };

    public int Count => _kind switch
    {
        EmptyKind => 0,
        SingleKind => 1,
        _ => _list!.Count,
    };

    public object? this[int index] => _kind == SingleKind ? _single : _list![index];

    /// <summary>The items as a list (allocating only for a single item).</summary>
    public List<object?> AsList() => _kind switch
    {
        EmptyKind => JsonataList.NewSequence(),
        SingleKind => JsonataList.SequenceOf(_single),
        _ => _list!,
    };

    /// <summary>The path's result value (JSONata's result sequence, with <c>[]</c> applied).</summary>
    public object? ToValue(bool keepSingleton)
    {
        switch (_kind)
        {
            case EmptyKind:
                return Undefined.Value;
            case SingleKind:
                if (keepSingleton)
                {
                    var kept = JsonataList.SequenceOf(_single);
                    kept.KeepSingleton = true;
                    return kept;
                }
                return _single;
            case SequenceKind:
                if (keepSingleton || _list is not JsonataList { IsSequence: true })
                {
                    // Copy: the list may be a variable's value or part of the input, which must not be flagged.
                    var copy = JsonataList.NewSequence(_list!.Count);
                    copy.AddRange(_list);
                    copy.KeepSingleton = keepSingleton;
                    return copy;
                }
                return _list;
            default:
                if (keepSingleton && _list is JsonataList { IsConstructed: true, IsSequence: false })
                {
                    var wrapped = JsonataList.SequenceOf(_list);
                    wrapped.KeepSingleton = true;
                    return wrapped;
                }
                return _list;
        }
    }
}

/// <summary>A path <c>a.b.c</c>: each step maps over the items of the previous one, flattening arrays.</summary>
internal sealed class PathNode(int position) : Node(position)
{
    public List<Node> Steps { get; } = [];

    /// <summary>A step has the <c>[]</c> suffix: a one-item result stays an array.</summary>
    public bool KeepSingletonArray { get; set; }

    protected override object? EvaluateCore(object? input, Frame environment)
    {
        var steps = Steps;
        var current = input is List<object?> list && steps[0] is not VariableNode ? StepItems.Sequence(list) : StepItems.One(input);
        var result = current;
        JsonataList? tuples = null;
        var tupleMode = false;
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            tupleMode |= step.Tuple;
            if (i == 0 && step.ConsArray)
            {
                // A leading array constructor is evaluated once against the whole input, not per item.
                result = StepItems.FromValue(step.Evaluate(current.AsList(), environment));
            }
            else if (tupleMode)
            {
                tuples = EvaluateTupleStep(step, current, tuples, environment);
            }
            else
            {
                result = EvaluateStep(step, current, environment, i == steps.Count - 1);
            }
            if (!tupleMode && result.Count == 0)
            {
                break;
            }
            if (step.Focus is null)
            {
                current = result;
            }
        }

        object? value;
        if (tupleMode)
        {
            // A path marked Tuple is itself a step of an outer tuple stream, which needs the tuples, not just the values.
            if (Tuple)
            {
                value = tuples;
            }
            else
            {
                var contexts = JsonataList.NewSequence(tuples!.Count);
                foreach (var tuple in tuples)
                {
                    contexts.Add(((TupleBinding)tuple!).Context);
                }
                if (KeepSingletonArray)
                {
                    contexts.KeepSingleton = true;
                }
                value = contexts;
            }
        }
        else
        {
            value = result.ToValue(KeepSingletonArray);
        }

        if (Group is not null)
        {
            value = Grouping.Evaluate(Group, tupleMode ? tuples : value, environment);
        }
        return value;
    }

    private static StepItems EvaluateStep(Node step, StepItems input, Frame environment, bool lastStep)
    {
        if (step is SortNode sort)
        {
            object? sorted = sort.Sort(input.AsList(), environment, false);
            if (step.Stages is not null)
            {
                foreach (var stage in step.Stages)
                {
                    if (stage.Filter is not null)
                    {
                        sorted = Filters.Apply(stage.Filter, sorted, environment);
                    }
                }
            }
            return StepItems.FromValue(sorted);
        }

        var evaluation = environment.Evaluation;
        var count = input.Count;
        if (count == 1)
        {
            evaluation.Tick();
            return Single(EvaluateItem(step, input[0], environment), lastStep);
        }

        object? first = Undefined.Value;
        JsonataList? output = null;
        var produced = 0;
        for (var i = 0; i < count; i++)
        {
            evaluation.Tick();
            var value = EvaluateItem(step, input[i], environment);
            if (value is Undefined)
            {
                continue;
            }
            produced++;
            if (produced == 1)
            {
                first = value;
                continue;
            }
            if (output is null)
            {
                output = JsonataList.NewSequence(count);
                AddFlattened(output, first);
            }
            AddFlattened(output, value);
        }
        return produced switch
        {
            0 => StepItems.Empty,
            1 => Single(first, lastStep),
            _ => StepItems.Sequence(output!),
        };
    }

    /// <summary>What one result contributes: arrays are flattened into the sequence, except at the last step.</summary>
    private static StepItems Single(object? value, bool lastStep)
    {
        if (value is Undefined)
        {
            return StepItems.Empty;
        }
        if (value is not List<object?> list)
        {
            return StepItems.One(value);
        }
        var isSequence = list is JsonataList { IsSequence: true };
        if (lastStep && !isSequence)
        {
            return StepItems.Raw(list);
        }
        if (list is JsonataList { IsConstructed: true })
        {
            return StepItems.One(list);
        }
        return StepItems.Sequence(list);
    }

    private static void AddFlattened(JsonataList output, object? value)
    {
        if (value is List<object?> list and not JsonataList { IsConstructed: true })
        {
            output.AddRange(list);
        }
        else
        {
            output.Add(value);
        }
    }

    private static object? EvaluateItem(Node step, object? item, Frame environment)
    {
        var value = step.Evaluate(item, environment);
        if (step.Stages is not null)
        {
            foreach (var stage in step.Stages)
            {
                if (stage.Filter is not null)
                {
                    value = Filters.Apply(stage.Filter, value, environment);
                }
            }
        }
        return value;
    }

    private static JsonataList EvaluateTupleStep(Node step, StepItems input, JsonataList? tuples, Frame environment)
    {
        JsonataList result;
        if (step is SortNode sort)
        {
            if (tuples is not null)
            {
                result = sort.Sort(tuples, environment, true);
            }
            else
            {
                var sorted = sort.Sort(input.AsList(), environment, false);
                result = new JsonataList(sorted.Count) { IsSequence = true, IsTupleStream = true };
                for (var i = 0; i < sorted.Count; i++)
                {
                    var tuple = new TupleBinding(sorted[i]);
                    if (step.IndexVariable is not null)
                    {
                        tuple.Variables[step.IndexVariable] = (double)i;
                    }
                    result.Add(tuple);
                }
            }
            return ApplyTupleStages(step.Stages, result, environment);
        }

        if (tuples is null)
        {
            tuples = new JsonataList(input.Count) { IsSequence = true, IsTupleStream = true };
            for (var i = 0; i < input.Count; i++)
            {
                tuples.Add(new TupleBinding(input[i]));
            }
        }

        result = new JsonataList { IsSequence = true, IsTupleStream = true };
        foreach (var item in tuples)
        {
            environment.Evaluation.Tick();
            var binding = (TupleBinding)item!;
            var stepEnvironment = Frame.FromTuple(environment, binding);
            var value = step.Evaluate(binding.Context, stepEnvironment);
            if (value is Undefined)
            {
                continue;
            }
            var values = value as List<object?>;
            var isTupleStream = value is JsonataList { IsTupleStream: true };
            var count = values?.Count ?? 1;
            for (var i = 0; i < count; i++)
            {
                var element = values is null ? value : values[i];
                var tuple = binding.Clone();
                if (isTupleStream)
                {
                    var inner = (TupleBinding)element!;
                    tuple.Context = inner.Context;
                    foreach (var (name, bound) in inner.Variables)
                    {
                        tuple.Variables[name] = bound;
                    }
                }
                else
                {
                    if (step.Focus is not null)
                    {
                        tuple.Variables[step.Focus] = element;
                    }
                    else
                    {
                        tuple.Context = element;
                    }
                    if (step.IndexVariable is not null)
                    {
                        tuple.Variables[step.IndexVariable] = (double)i;
                    }
                    if (step.Ancestor is not null)
                    {
                        tuple.Variables[step.Ancestor.Label] = binding.Context;
                    }
                }
                result.Add(tuple);
            }
        }
        return ApplyTupleStages(step.Stages, result, environment);
    }

    private static JsonataList ApplyTupleStages(List<Stage>? stages, JsonataList tuples, Frame environment)
    {
        if (stages is null)
        {
            return tuples;
        }
        foreach (var stage in stages)
        {
            if (stage.Filter is not null)
            {
                tuples = (JsonataList)Filters.Apply(stage.Filter, tuples, environment)!;
            }
            else
            {
                for (var i = 0; i < tuples.Count; i++)
                {
                    ((TupleBinding)tuples[i]!).Variables[stage.IndexVariable!] = (double)i;
                }
            }
        }
        return tuples;
    }
}

/// <summary>The order-by step <c>^(&gt;price, name)</c>.</summary>
internal sealed class SortNode(List<(bool Descending, Node Expression)> terms, int position) : Node(position)
{
    public List<(bool Descending, Node Expression)> Terms { get; } = terms;

    protected override object? EvaluateCore(object? input, Frame environment) =>
        Sort(input as List<object?> ?? JsonataList.SequenceOf(input), environment, false);

    /// <summary>Stable sort (JSONata uses a merge sort); undefined keys go last whatever the direction.</summary>
    public JsonataList Sort(List<object?> items, Frame environment, bool tuples)
    {
        var result = new JsonataList(items.Count) { IsSequence = true, IsTupleStream = tuples };
        if (items.Count <= 1)
        {
            result.AddRange(items);
            return result;
        }
        var termCount = Terms.Count;
        var keys = new object?[items.Count * termCount];
        for (var i = 0; i < items.Count; i++)
        {
            environment.Evaluation.Tick();
            var context = items[i];
            var frame = environment;
            if (tuples)
            {
                var binding = (TupleBinding)context!;
                context = binding.Context;
                frame = Frame.FromTuple(environment, binding);
            }
            for (var t = 0; t < termCount; t++)
            {
                keys[i * termCount + t] = Terms[t].Expression.Evaluate(context, frame);
            }
        }
        var order = new int[items.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        StableSort.Sort(order, (a, b) => Compare(keys, a, b, termCount) > 0);
        foreach (var index in order)
        {
            result.Add(items[index]);
        }
        return result;
    }

    private int Compare(object?[] keys, int a, int b, int termCount)
    {
        for (var t = 0; t < termCount; t++)
        {
            var left = keys[a * termCount + t];
            var right = keys[b * termCount + t];
            int comparison;
            if (left is Undefined)
            {
                comparison = right is Undefined ? 0 : 1;
                if (comparison != 0)
                {
                    return comparison;
                }
                continue;
            }
            if (right is Undefined)
            {
                return -1;
            }
            if (left is not (string or double) || right is not (string or double))
            {
                throw Errors.Create("T2008", Position, "^", left is string or double ? right : left);
            }
            if (left is double da && right is double db)
            {
                comparison = da.CompareTo(db);
            }
            else if (left is string sa && right is string sb)
            {
                comparison = string.CompareOrdinal(sa, sb);
            }
            else
            {
                throw Errors.Create("T2007", Position, "^", left, right);
            }
            if (comparison != 0)
            {
                return Terms[t].Descending ? -Math.Sign(comparison) : Math.Sign(comparison);
            }
        }
        return 0;
    }
}

internal static class StableSort
{
    /// <summary>Merge sort; <paramref name="swap"/>(a, b) is true when b must come before a (JSONata's comparator contract).</summary>
    public static void Sort<T>(T[] items, Func<T, T, bool> swap)
    {
        if (items.Length < 2)
        {
            return;
        }
        var buffer = new T[items.Length];
        MergeSort(items, buffer, 0, items.Length, swap);
    }

    private static void MergeSort<T>(T[] items, T[] buffer, int start, int end, Func<T, T, bool> swap)
    {
        if (end - start < 2)
        {
            return;
        }
        var middle = (start + end) / 2;
        MergeSort(items, buffer, start, middle, swap);
        MergeSort(items, buffer, middle, end, swap);
        int left = start, right = middle, output = start;
        while (left < middle && right < end)
        {
            buffer[output++] = swap(items[left], items[right]) ? items[right++] : items[left++];
        }
        while (left < middle)
        {
            buffer[output++] = items[left++];
        }
        while (right < end)
        {
            buffer[output++] = items[right++];
        }
        Array.Copy(buffer, start, items, start, end - start);
    }
}

internal static class Filters
{
    /// <summary>A predicate <c>[expr]</c> over a value: numeric results select positions, anything else filters by truth.</summary>
    public static object? Apply(Node predicate, object? input, Frame environment)
    {
        var results = JsonataList.NewSequence();
        var isTupleStream = input is JsonataList { IsTupleStream: true };
        results.IsTupleStream = isTupleStream;
        if (input is Undefined)
        {
            return results;
        }
        var list = input as List<object?>;
        var count = list?.Count ?? 1;
        if (predicate is LiteralNode { Value: double constant })
        {
            var index = ToIndex(constant, count);
            if (index >= 0 && index < count)
            {
                var item = list is null ? input : list[(int)index];
                if (item is List<object?> array)
                {
                    return array;
                }
                results.Add(item);
            }
            return results;
        }
        var evaluation = environment.Evaluation;
        for (var i = 0; i < count; i++)
        {
            evaluation.Tick();
            var item = list is null ? input : list[i];
            var context = item;
            var frame = environment;
            if (isTupleStream)
            {
                var binding = (TupleBinding)item!;
                context = binding.Context;
                frame = Frame.FromTuple(environment, binding);
            }
            var value = predicate.Evaluate(context, frame);
            if (value is double number && Values.IsNumeric(value))
            {
                if (ToIndex(number, count) == i)
                {
                    results.Add(item);
                }
            }
            else if (value is List<object?> numbers && IsArrayOfNumbers(numbers))
            {
                foreach (var n in numbers)
                {
                    if (ToIndex((double)n!, count) == i)
                    {
                        results.Add(item);
                        break;
                    }
                }
            }
            else if (Values.Truthy(value))
            {
                results.Add(item);
            }
        }
        return results;
    }

    private static long ToIndex(double value, int count)
    {
        var index = Math.Floor(value);
        if (index < 0)
        {
            index += count;
        }
        return index is >= int.MinValue and <= int.MaxValue ? (long)index : -1;
    }

    private static bool IsArrayOfNumbers(List<object?> values)
    {
        if (values.Count == 0)
        {
            return false;
        }
        foreach (var value in values)
        {
            if (!Values.IsNumeric(value))
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>The pairs of an object constructor, and whether they allow the single-object fast path.</summary>
internal sealed class GroupSpec((Node Key, Node Value)[] pairs, int position)
{
    public (Node Key, Node Value)[] Pairs { get; } = pairs;

    public int Position { get; } = position;

    /// <summary>Every key is a distinct string literal, so one input object needs no grouping work.</summary>
    public bool HasDistinctLiteralKeys { get; } = ComputeDistinctLiteralKeys(pairs);

    private static bool ComputeDistinctLiteralKeys((Node Key, Node Value)[] pairs)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, _) in pairs)
        {
            if (key is not LiteralNode { Value: string name } || key.Predicates is not null || key.Group is not null || !seen.Add(name))
            {
                return false;
            }
        }
        return true;
    }
}

internal static class Grouping
{
    /// <summary>
    /// Object construction <c>{key: value}</c> and grouping <c>expr{key: value}</c>: each input item is put under the key
    /// its key expression gives; then each value expression is evaluated over the items of its key.
    /// </summary>
    public static object? Evaluate(GroupSpec spec, object? input, Frame environment)
    {
        var isTupleStream = input is JsonataList { IsTupleStream: true };
        var list = input as List<object?>;
        if (list is null && !isTupleStream && spec.HasDistinctLiteralKeys)
        {
            return ConstructSingle(spec, input, environment);
        }
        var count = list is null || list.Count == 0 ? 1 : list.Count;
        var groups = new OrderedDictionary<string, (object? Data, int PairIndex)>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var item = list is null ? input : list.Count == 0 ? Undefined.Value : list[i];
            var context = item;
            var frame = environment;
            if (isTupleStream && item is not Undefined)
            {
                var binding = (TupleBinding)item!;
                context = binding.Context;
                frame = Frame.FromTuple(environment, binding);
            }
            for (var p = 0; p < spec.Pairs.Length; p++)
            {
                var key = spec.Pairs[p].Key.Evaluate(context, frame);
                if (key is Undefined)
                {
                    continue;
                }
                if (key is not string name)
                {
                    throw Errors.Create("T1003", spec.Position, value: key);
                }
                if (groups.TryGetValue(name, out var entry))
                {
                    if (entry.PairIndex != p)
                    {
                        throw Errors.Create("D1009", spec.Position, value: name);
                    }
                    groups[name] = (Values.Append(entry.Data, item), p);
                }
                else
                {
                    groups.Add(name, (item, p));
                }
            }
        }

        var result = new JsObject(groups.Count);
        foreach (var (name, (data, pairIndex)) in groups)
        {
            var context = data;
            var frame = environment;
            if (isTupleStream && data is not Undefined)
            {
                var reduced = ReduceTupleStream(data);
                context = reduced.Context;
                frame = Frame.FromTuple(environment, reduced);
            }
            var value = spec.Pairs[pairIndex].Value.Evaluate(context, frame);
            if (value is not Undefined)
            {
                result[name] = Values.Materialize(value);
            }
        }
        return result;
    }

    private static JsObject ConstructSingle(GroupSpec spec, object? input, Frame environment)
    {
        var result = new JsObject(spec.Pairs.Length);
        foreach (var (key, valueExpression) in spec.Pairs)
        {
            var value = valueExpression.Evaluate(input, environment);
            if (value is not Undefined)
            {
                result[(string)((LiteralNode)key).Value!] = Values.Materialize(value);
            }
        }
        return result;
    }

    /// <summary>Merges the tuples of one group: each variable becomes the sequence of its values.</summary>
    private static TupleBinding ReduceTupleStream(object? data)
    {
        if (data is not List<object?> tuples)
        {
            return (TupleBinding)data!;
        }
        var first = (TupleBinding)tuples[0]!;
        var result = first.Clone();
        for (var i = 1; i < tuples.Count; i++)
        {
            var tuple = (TupleBinding)tuples[i]!;
            result.Context = Values.Append(result.Context, tuple.Context);
            foreach (var (name, value) in tuple.Variables)
            {
                result.Variables[name] = result.Variables.TryGetValue(name, out var existing) ? Values.Append(existing, value) : value;
            }
        }
        return result;
    }
}
