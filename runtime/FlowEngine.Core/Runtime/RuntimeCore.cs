using FlowEngine.Core.Context;
using FlowEngine.Core.Flows;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Settings;
using FlowEngine.Core.TypedInputs;
using FlowEngine.Core.Values;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Core.Runtime;

/// <summary>What a deploy did: which nodes it restarted, and how many queued messages it could not finish.</summary>
public sealed record DeployOutcome(string Revision, DeploymentType Type, IReadOnlyList<string> Started, IReadOnlyList<string> Stopped,
    long DroppedMessages, IReadOnlyCollection<string> MissingTypes);

/// <summary>
/// The engine: running nodes and scopes, deploys, and the routing of errors, status and completion.
/// </summary>
internal sealed partial class RuntimeCore : IRuntimeServices, INodeDirectory
{
    private readonly ILogger _logger;
    private volatile Dictionary<string, NodeRunner> _runners = new(StringComparer.Ordinal);
    private volatile Dictionary<string, FlowScope> _scopes = new(StringComparer.Ordinal);
    private Dictionary<string, NodePlan> _plans = new(StringComparer.Ordinal);

    public RuntimeCore(RuntimeSettings settings, NodeRegistry registry, ILoggerFactory loggerFactory, TimeProvider timeProvider,
        ContextManager contexts, IExpressionEngine? expressions, IServiceProvider hostServices)
    {
        Settings = settings;
        Registry = registry;
        LoggerFactory = loggerFactory;
        TimeProvider = timeProvider;
        Contexts = contexts;
        Expressions = expressions;
        HostServices = hostServices;
        _logger = loggerFactory.CreateLogger("FlowEngine.Runtime");
        GlobalContext = contexts.Global();
        GlobalFlowContext = contexts.Flow("global", null);
        Metrics = new RuntimeMetrics(() => _runners.Values);
    }

    internal RuntimeMetrics Metrics { get; }

    public RuntimeSettings Settings { get; }
    public NodeRegistry Registry { get; }
    public ILoggerFactory LoggerFactory { get; }
    public TimeProvider TimeProvider { get; }
    public ContextManager Contexts { get; }
    public RuntimeObservers Observers { get; } = new();
    public IExpressionEngine? Expressions { get; }
    public INodeDirectory Nodes => this;
    public IServiceProvider HostServices { get; }
    public ContextScope GlobalContext { get; }
    public ContextScope GlobalFlowContext { get; }
    public FlowConfiguration Configuration { get; private set; } = FlowConfiguration.Empty;
    public JsObject Credentials { get; private set; } = new();
    public bool Started { get; private set; }

    public IReadOnlyDictionary<string, NodeRunner> Runners => _runners;

    public FlowNode? Find(string runtimeId) => _runners.TryGetValue(runtimeId, out var runner) ? runner.Node : null;

    public NodeRunner? FindRunner(string runtimeId) => _runners.GetValueOrDefault(runtimeId);

    public IEnumerable<FlowNode> All() => _runners.Values.Select(r => r.Node);

    public bool Deliver(string runtimeId, JsObject message)
    {
        if (!_runners.TryGetValue(runtimeId, out var runner)) return false;
        if (!message.ContainsKey("_msgid")) message["_msgid"] = MessageIds.NewId();
        runner.Enqueue(message);
        return true;
    }

    /// <summary>
    /// Every problem a deploy of this configuration would meet, without deploying it: the same planning, property
    /// validation and node construction as <see cref="ApplyAsync"/>, plus node types that are not installed (which a
    /// deploy accepts and leaves waiting). The nodes built for the check are never started.
    /// </summary>
    public IReadOnlyList<FlowProblem> Check(FlowConfiguration config, JsObject credentials)
    {
        var plan = FlowPlanner.Build(config, t => Registry.IsKnown(t) || t is FlowPlanner.SubflowInstanceType or FlowPlanner.SubflowStatusType or GlobalConfigNode.TypeName);
        var problems = new List<FlowProblem>();
        foreach (var node in plan.Nodes.Values)
        {
            if (!Registry.IsKnown(node.Type) && node.Type is not (FlowPlanner.SubflowInstanceType or FlowPlanner.SubflowStatusType or GlobalConfigNode.TypeName))
            {
                problems.Add(Problem(node, null, $"unknown node type \"{node.Type}\": no installed node family provides it"));
            }
        }
        var scopes = BuildScopes(plan, credentials);
        foreach (var node in plan.Nodes.Values) Validate(node, plan, problems);
        // A node whose properties are already refused is not built as well: one problem each, as a deploy reports.
        var refused = problems.Select(p => p.NodeId).ToHashSet(StringComparer.Ordinal);
        var created = new Dictionary<string, FlowNode>(StringComparer.Ordinal);
        var configs = plan.Nodes.Values.Where(p => p.IsConfig && !refused.Contains(p.RuntimeId)).ToList();
        // Config nodes in dependency order, as a deploy builds them; a cycle is reported by the deploy path alone.
        for (var attempt = 0; configs.Count > 0 && attempt < 100; attempt++)
        {
            var next = configs.Where(n => ReferencesPendingConfig(n, configs, plan)).ToList();
            foreach (var node in configs.Except(next)) TryCreate(node, scopes, credentials, id => created.GetValueOrDefault(id), created, problems);
            if (next.Count == configs.Count)
            {
                foreach (var node in next) problems.Add(Problem(node, null, "Circular config node dependency"));
                break;
            }
            configs = next;
        }
        foreach (var node in plan.Nodes.Values.Where(p => !p.IsConfig && !refused.Contains(p.RuntimeId))) TryCreate(node, scopes, credentials, id => created.GetValueOrDefault(id), created, problems);
        return problems;
    }

    /// <summary>
    /// Applies a configuration. Validates and constructs every new node first; if anything is invalid, throws
    /// <see cref="FlowValidationException"/> and nothing running is touched. Then persists (before start, so a crash
    /// during start does not lose the deploy), stops what changed and starts the new.
    /// </summary>
    public async Task<DeployOutcome> ApplyAsync(FlowConfiguration config, JsObject credentials, IReadOnlySet<string> credentialChanges,
        DeploymentType type, Func<CancellationToken, Task>? persist, CancellationToken cancellationToken)
    {
        var plan = FlowPlanner.Build(config, t => Registry.IsKnown(t) || t is FlowPlanner.SubflowInstanceType or FlowPlanner.SubflowStatusType or GlobalConfigNode.TypeName);
        _pendingGroups = plan.Groups;
        var full = type is DeploymentType.Full or DeploymentType.Reload || !Started;
        HashSet<string>? restartUnits = null;
        if (!full)
        {
            var diff = DeployDiff.Compute(Configuration, config, credentialChanges);
            if (diff.GlobalConfigChanged)
            {
                full = true;
            }
            else
            {
                restartUnits = diff.UnitsToRestart(type);
                foreach (var node in plan.Nodes.Values)
                {
                    if (node.ScopeId is { } s && plan.Scopes.TryGetValue(s, out var scope) && diff.RestartedTabs.Contains(TabOf(plan, scope))) restartUnits.Add(node.UnitId);
                }
                foreach (var old in _plans.Values)
                {
                    if (old.ScopeId is { } s && diff.RestartedTabs.Contains(TabOf(_plans, _scopes, s))) restartUnits.Add(old.UnitId);
                }
            }
        }

        var oldRunners = _runners;
        var previousOwners = _previousOwners;
        var kept = new Dictionary<string, NodeRunner>(StringComparer.Ordinal);
        if (!full)
        {
            foreach (var (id, runner) in oldRunners)
            {
                if (plan.Nodes.TryGetValue(id, out var p) && !restartUnits!.Contains(p.UnitId) && _plans.TryGetValue(id, out var oldPlan) && oldPlan.Type == p.Type)
                {
                    kept[id] = runner;
                }
            }
        }

        // Scopes and env for the new configuration.
        var scopes = BuildScopes(plan, credentials);

        // Construct every node that is not kept. Config nodes first, in dependency order.
        var problems = new List<FlowProblem>();
        var created = new Dictionary<string, FlowNode>(StringComparer.Ordinal);
        FlowNode? LookupConfig(string id)
        {
            if (created.TryGetValue(id, out var n)) return n;
            return kept.TryGetValue(id, out var r) ? r.Node : null;
        }
        var toCreate = plan.Nodes.Values.Where(p => !kept.ContainsKey(p.RuntimeId)).ToList();
        foreach (var node in toCreate) Validate(node, plan, problems);
        if (problems.Count == 0)
        {
            var pendingConfig = toCreate.Where(p => p.IsConfig).ToList();
            for (var attempt = 0; pendingConfig.Count > 0 && attempt < 100; attempt++)
            {
                var next = new List<NodePlan>();
                foreach (var node in pendingConfig)
                {
                    if (ReferencesPendingConfig(node, pendingConfig, plan)) next.Add(node);
                    else TryCreate(node, scopes, credentials, LookupConfig, created, problems);
                }
                if (next.Count == pendingConfig.Count)
                {
                    foreach (var node in next) problems.Add(Problem(node, null, "Circular config node dependency"));
                    break;
                }
                pendingConfig = next;
            }
            foreach (var node in toCreate.Where(p => !p.IsConfig)) TryCreate(node, scopes, credentials, LookupConfig, created, problems);
        }
        if (problems.Count > 0)
        {
            throw new FlowValidationException(problems);
        }

        if (persist is not null) await persist(cancellationToken).ConfigureAwait(false);

        // Stop what is not kept: flow nodes first, then config nodes (§2.8), each before the config nodes it uses.
        var stopping = oldRunners.Values.Where(r => !kept.ContainsKey(r.Id)).ToList();
        long dropped = 0;
        var closeDeadline = TimeSpan.FromSeconds(5);
        var stoppedFlowNodes = await Task.WhenAll(stopping.Where(r => !r.IsConfig)
            .Select(r => r.DrainAndCloseAsync(!plan.Nodes.ContainsKey(r.Id), closeDeadline, cancellationToken))).ConfigureAwait(false);
        var droppedByConfigNodes = await CloseConfigNodesAsync(stopping.Where(r => r.IsConfig).ToList(), _plans,
            r => r.DrainAndCloseAsync(!plan.Nodes.ContainsKey(r.Id), closeDeadline, cancellationToken)).ConfigureAwait(false);
        dropped = stoppedFlowNodes.Sum() + droppedByConfigNodes;
        if (dropped > 0) LogDropped(_logger, dropped);

        // Node context: wiped when a node restarts and no contextStorage is configured (Node-RED §2.9).
        if (!Contexts.IsConfigured)
        {
            foreach (var runner in stopping)
            {
                if (!runner.IsConfig) Contexts.DeleteScope(runner.NodeContext.ScopeId);
            }
        }

        // Swap in the new graph.
        var runners = new Dictionary<string, NodeRunner>(kept, StringComparer.Ordinal);
        foreach (var (id, node) in created)
        {
            var p = plan.Nodes[id];
            var scope = p.ScopeId is not null ? scopes.GetValueOrDefault(p.ScopeId) : null;
            runners[id] = new NodeRunner(node, Identity(p), scope, this, p.IsConfig);
        }
        foreach (var (id, runner) in runners)
        {
            var p = plan.Nodes[id];
            runner.Scope = p.ScopeId is not null ? scopes.GetValueOrDefault(p.ScopeId) : null;
            runner.Groups = p.GroupChain;
        }
        Wire(plan, runners, scopes);
        _runners = runners;
        _scopes = scopes;
        _plans = plan.Nodes;
        Configuration = config;
        Credentials = credentials;
        _previousOwners = ContextOwners(plan);

        // Context of nodes and flows that this deploy removed is purged (Node-RED does the same). Only removed
        // ones: at start-up the stores hold context of flows that are about to be deployed.
        var removedOwners = new HashSet<string>(previousOwners, StringComparer.Ordinal);
        removedOwners.ExceptWith(ContextOwners(plan));
        Contexts.Purge(removedOwners);

        // Start the new nodes: config nodes first.
        var started = new List<string>();
        foreach (var runner in runners.Values.Where(r => created.ContainsKey(r.Id)).OrderBy(r => r.IsConfig ? 0 : 1))
        {
            try
            {
                await runner.Node.InvokeStartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                runner.Node.SetStatus(NodeStatus.Error(ex.Message));
                NodeLog(runner, LogLevel.Error, $"failed to start: {ex.Message}");
            }
            started.Add(runner.Id);
        }
        Started = true;
        if (plan.MissingTypes.Count > 0)
        {
            LogMissingTypes(_logger, string.Join(", ", plan.MissingTypes));
            Observers.Notify(new RuntimeNotification("notification/runtime-state", new JsObject
            {
                ["state"] = "start",
                ["error"] = "missing-types",
                ["type"] = "warning",
                ["text"] = "notification.warnings.missing-types",
                ["types"] = plan.MissingTypes.Cast<object?>().ToList(),
            }, true));
        }
        return new DeployOutcome(config.Revision, full ? DeploymentType.Full : type, started, stopping.Select(r => r.Id).ToList(), dropped, plan.MissingTypes);
    }

    private static string TabOf(FlowPlan plan, ScopePlan scope)
    {
        var current = scope;
        while (current.Kind == "subflow" && current.ParentId is { } parent && plan.Scopes.TryGetValue(parent, out var next)) current = next;
        return current.Id;
    }

    private static string TabOf(Dictionary<string, NodePlan> plans, Dictionary<string, FlowScope> scopes, string scopeId)
    {
        var current = scopes.GetValueOrDefault(scopeId);
        while (current is { Plan.Kind: "subflow", Parent: { } parent }) current = parent;
        return current?.Id ?? scopeId;
    }

    private static bool ReferencesPendingConfig(NodePlan node, List<NodePlan> pending, FlowPlan plan) =>
        ReferencedIds(node).Any(id => plan.Nodes.TryGetValue(id, out var target) && target.IsConfig && pending.Contains(target));

    /// <summary>Other nodes' ids named by a node's top-level properties: how a node refers to the config nodes it uses.</summary>
    private static IEnumerable<string> ReferencedIds(NodePlan node)
    {
        foreach (var (key, value) in node.Config)
        {
            if (key is "id" or "type" or "z" or "g" or "wires") continue;
            if (value is string id && id != node.RuntimeId) yield return id;
        }
    }

    private static NodeIdentity Identity(NodePlan p) =>
        new(p.RuntimeId, p.Type, p.Config.Get("name") as string ?? "", p.ScopeId, p.Alias, p.Path);

    private static FlowProblem Problem(NodePlan node, string? property, string reason) =>
        new(node.RuntimeId, node.Config.Get("name") as string, node.Type, property, reason);

    /// <summary>Checks a node's properties against its type's declaration (kinds, required values, options, references).</summary>
    private void Validate(NodePlan node, FlowPlan plan, List<FlowProblem> problems)
    {
        var declaration = Registry.Declaration(node.Type);
        if (declaration is null) return;
        foreach (var property in declaration.Properties)
        {
            var value = node.Config.Get(property.Name);
            var empty = value is null || value is string { Length: 0 };
            if (property.Required && empty)
            {
                problems.Add(Problem(node, property.Name, "a value is required"));
                continue;
            }
            if (empty) continue;
            switch (property.Kind)
            {
                case PropertyKind.Number when value is string s && !IsEnvReference(s) && double.IsNaN(JsValue.StringToNumber(s)):
                    problems.Add(Problem(node, property.Name, $"expected a number, got \"{s}\""));
                    continue;
                case PropertyKind.Number when value is not (string or double):
                    problems.Add(Problem(node, property.Name, $"expected a number, got {JsValue.TypeName(value)}"));
                    continue;
                case PropertyKind.Select when property.Options is { Count: > 0 } options && !options.Contains(JsValue.ToJsString(value)):
                    problems.Add(Problem(node, property.Name, $"\"{JsValue.ToJsString(value)}\" is not one of {string.Join(", ", options)}"));
                    continue;
                case PropertyKind.ConfigReference when value is string id && !plan.Nodes.ContainsKey(id) && !IsEnvReference(id):
                    problems.Add(Problem(node, property.Name, $"config node {id} does not exist"));
                    continue;
            }
            if (property.Validate?.Invoke(value) is { } error) problems.Add(Problem(node, property.Name, error));
        }
    }

    private static bool IsEnvReference(string s) => s.StartsWith("${", StringComparison.Ordinal) || s.StartsWith("$(", StringComparison.Ordinal);

    private void TryCreate(NodePlan node, Dictionary<string, FlowScope> scopes, JsObject credentials, Func<string, FlowNode?> configLookup,
        Dictionary<string, FlowNode> created, List<FlowProblem> problems)
    {
        try
        {
            var scope = node.ScopeId is not null ? scopes.GetValueOrDefault(node.ScopeId) : null;
            var environment = EnvironmentFor(node, scope);
            var config = (JsObject)environment.Substitute(JsValue.DeepClone(node.Config))!;
            var nodeCredentials = credentials.Get(node.CredentialId) is JsObject c ? (JsObject)environment.Substitute(JsValue.DeepClone(c))! : new JsObject();
            var setup = new NodeSetup(new NodeConfig(config), node.RuntimeId, node.Alias, nodeCredentials, this, environment, configLookup,
                LoggerFactory.CreateLogger("FlowEngine.Node"), node.ScopeId);
            var factory = node.Type switch
            {
                FlowPlanner.SubflowInstanceType => s => new SubflowInstanceNode(s),
                FlowPlanner.SubflowStatusType => s => new SubflowStatusNode(s),
                GlobalConfigNode.TypeName => s => new GlobalConfigNode(s),
                _ => Registry.Factory(node.Type) ?? (s => new UnknownTypeNode(s)),
            };
            created[node.RuntimeId] = factory(setup);
        }
        catch (NodeConfigException ex)
        {
            problems.Add(new FlowProblem(node.RuntimeId, node.Config.Get("name") as string, node.Type, ex.Property, ex.Reason));
        }
        catch (Exception ex) when (ex is TypedValueException or PropertyPathException or JsJsonException or ArgumentException or FormatException or InvalidOperationException)
        {
            problems.Add(Problem(node, null, ex.Message));
        }
    }

    private Dictionary<string, FlowScope> BuildScopes(FlowPlan plan, JsObject credentials)
    {
        var result = new Dictionary<string, FlowScope>(StringComparer.Ordinal);
        var globalLayer = EnvLayer.FromDefinitions("global", plan.GlobalEnv, plan.GlobalConfigId is { } gid ? credentials.Get(gid) as JsObject : null,
            Environment.GetEnvironmentVariable, Expressions, w => LogEnvWarning(_logger, w));
        _pendingGlobalEnv = globalLayer;
        FlowScope Build(ScopePlan scopePlan)
        {
            if (result.TryGetValue(scopePlan.Id, out var existing)) return existing;
            var parent = scopePlan.ParentId is { } pid && plan.Scopes.TryGetValue(pid, out var pp) && pid != scopePlan.Id ? Build(pp) : null;
            var context = scopePlan.Kind == "global" ? GlobalFlowContext : Contexts.Flow(scopePlan.Id, parent?.Plan.Kind == "global" ? null : parent?.Context);
            var scope = new FlowScope(scopePlan, parent, context);
            if (scopePlan.Kind == "global")
            {
                scope.EnvChain = [globalLayer];
            }
            else
            {
                var outer = parent?.EnvChain ?? [globalLayer];
                var lookupOuter = new NodeEnvironment(new Dictionary<string, object?>(), outer);
                var layer = EnvLayer.FromDefinitions(scopePlan.Kind == "tab" ? "flow" : "subflow", scopePlan.Env,
                    credentials.Get(scopePlan.InstanceNodeId ?? scopePlan.Id) as JsObject, lookupOuter.Get, Expressions, w => LogEnvWarning(_logger, w));
                var reserved = new EnvLayer(scopePlan.Kind == "tab" ? "flow" : "subflow");
                if (scopePlan.Kind == "tab")
                {
                    reserved.Set("NR_FLOW_ID", scopePlan.Id);
                    reserved.Set("NR_FLOW_NAME", scopePlan.Label);
                }
                else
                {
                    reserved.Set("NR_SUBFLOW_ID", scopePlan.Id);
                    reserved.Set("NR_SUBFLOW_NAME", scopePlan.SubflowName ?? scopePlan.Label);
                    reserved.Set("NR_SUBFLOW_PATH", scopePlan.Path);
                }
                foreach (var (name, value) in layer.Values) reserved.Set(name, value);
                scope.EnvChain = [reserved, .. outer];
            }
            result[scopePlan.Id] = scope;
            return scope;
        }
        foreach (var scopePlan in plan.Scopes.Values) Build(scopePlan);
        return result;
    }

    private NodeEnvironment EnvironmentFor(NodePlan node, FlowScope? scope)
    {
        var reserved = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["NR_NODE_ID"] = node.RuntimeId,
            ["NR_NODE_NAME"] = node.Config.Get("name") as string ?? "",
            ["NR_NODE_PATH"] = node.Path,
        };
        var layers = new List<EnvLayer>();
        var plansGroups = _pendingGroups;
        foreach (var groupId in node.GroupChain)
        {
            if (plansGroups is not null && plansGroups.TryGetValue(groupId, out var group))
            {
                var layer = EnvLayer.FromDefinitions("group", group.Config.Get("env") as List<object?>, null, _ => null, Expressions);
                if (layers.Count == 0)
                {
                    reserved["NR_GROUP_ID"] = groupId;
                    reserved["NR_GROUP_NAME"] = group.Config.Get("name") as string ?? "";
                }
                layers.Add(layer);
            }
        }
        if (scope is not null) layers.AddRange(scope.EnvChain);
        // A config node outside every flow (no z) still sees the global-config env, as in Node-RED.
        else if (_pendingGlobalEnv is { } global) layers.Add(global);
        return new NodeEnvironment(reserved, layers);
    }

    private EnvLayer? _pendingGlobalEnv;

    private Dictionary<string, GroupPlan>? _pendingGroups;
    private HashSet<string> _previousOwners = new(StringComparer.Ordinal);

    private static HashSet<string> ContextOwners(FlowPlan plan)
    {
        var owners = new HashSet<string>(plan.Nodes.Keys, StringComparer.Ordinal);
        foreach (var p in plan.Nodes.Values) if (p.Alias is not null) owners.Add(p.Alias);
        owners.UnionWith(plan.Scopes.Keys);
        return owners;
    }

    private void Wire(FlowPlan plan, Dictionary<string, NodeRunner> runners, Dictionary<string, FlowScope> scopes)
    {
        foreach (var (id, runner) in runners)
        {
            var p = plan.Nodes[id];
            runner.Wires = p.Wires.Select(port => port.Select(t => runners.GetValueOrDefault(t)).OfType<NodeRunner>().ToArray()).ToArray();
            runner.CompleteListeners = [];
        }
        foreach (var scope in scopes.Values)
        {
            scope.Catchers.Clear();
            scope.StatusListeners.Clear();
            if (scope.Plan.InstanceNodeId is { } instanceId) scope.InstanceRunner = runners.GetValueOrDefault(instanceId);
        }
        var completeMap = new Dictionary<string, List<NodeRunner>>(StringComparer.Ordinal);
        foreach (var runner in runners.Values)
        {
            if (runner.Scope is not { } scope) continue;
            var type = runner.Identity.Type;
            var config = runner.Node.Config.Raw;
            if (type == "catch") scope.Catchers.Add(ScopedListener.From(runner, config, isStatus: false));
            else if (type == "status") scope.StatusListeners.Add(ScopedListener.From(runner, config, isStatus: true));
            else if (type == "complete" && config.Get("scope") is List<object?> ids)
            {
                var wiredTo = new HashSet<string>(runner.Wires.SelectMany(w => w).Select(t => t.Id), StringComparer.Ordinal);
                foreach (var target in ids.OfType<string>())
                {
                    if (wiredTo.Contains(target)) continue; // loop protection (§2.7)
                    if (!completeMap.TryGetValue(target, out var list)) completeMap[target] = list = [];
                    list.Add(runner);
                }
            }
        }
        foreach (var (target, listeners) in completeMap)
        {
            if (runners.TryGetValue(target, out var runner)) runner.CompleteListeners = listeners.ToArray();
        }
        foreach (var scope in scopes.Values)
        {
            scope.Catchers.Sort((a, b) => a.Rank.CompareTo(b.Rank));
            scope.StatusListeners.Sort((a, b) => a.Rank.CompareTo(b.Rank));
        }
    }

    // ---- routing of errors, status, logs ----

    internal void RouteError(NodeRunner reporter, string text, Exception? exception, JsObject? message)
    {
        if (message is not null)
        {
            var scope = reporter.Scope;
            var current = reporter;
            while (scope is not null)
            {
                if (DeliverToCatchers(scope, current, reporter, text, exception, message)) return;
                if (scope.Plan.Kind != "subflow" || scope.InstanceRunner is null) break;
                // Unhandled inside a subflow: offered to the parent flow as coming from the instance node.
                current = scope.InstanceRunner;
                scope = scope.Parent;
            }
        }
        NodeLog(reporter, LogLevel.Error, text, exception);
    }

    private bool DeliverToCatchers(FlowScope scope, NodeRunner reporter, NodeRunner origin, string text, Exception? exception, JsObject message)
    {
        if (scope.Catchers.Count == 0) return false;
        var candidates = new List<(ScopedListener Listener, int Distance)>();
        foreach (var catcher in scope.Catchers)
        {
            if (catcher.Runner == reporter) continue;
            if (catcher.Matches(reporter, out var distance)) candidates.Add((catcher, distance));
        }
        if (candidates.Count == 0) return false;
        var ordered = candidates.OrderBy(c => c.Listener.Rank == 2 ? 1 : 0).ThenBy(c => c.Distance).ToList();
        var handled = false;
        foreach (var (listener, _) in ordered)
        {
            if (listener.Uncaught && handled) continue;
            var copy = NodeRunner.CloneMessage(message);
            var count = 1;
            if (copy.Get("error") is { } previous)
            {
                if (previous is JsObject prevError && prevError.Get("source") is JsObject src && src.Get("id") as string == reporter.Id)
                {
                    count = (int)(src.Get("count") as double? ?? 1) + 1;
                    if (count >= 10)
                    {
                        NodeLog(reporter, LogLevel.Warning, "Message exceeded maximum number of catches (error-loop)");
                        return true;
                    }
                }
                copy["_error"] = previous;
            }
            var error = new JsObject
            {
                ["message"] = text,
                ["source"] = new JsObject
                {
                    ["id"] = reporter.Id,
                    ["type"] = reporter.Identity.Type,
                    ["name"] = reporter.Identity.Name,
                    ["count"] = (double)count,
                },
            };
            if (exception?.StackTrace is { } stack && origin == reporter) error["stack"] = $"{exception.GetType().Name}: {text}\n{stack}";
            copy["error"] = error;
            listener.Runner.Emit(copy);
            handled = true;
        }
        return handled;
    }

    internal void PublishStatus(NodeRunner runner, NodeStatus status)
    {
        Observers.Status(new NodeStatusEvent(runner.Identity, status));
        var scope = runner.Scope;
        var reporter = runner;
        while (scope is not null)
        {
            if (DeliverStatus(scope, reporter, status)) return;
            if (scope.Plan.Kind != "subflow" || scope.InstanceRunner is null) return;
            reporter = scope.InstanceRunner;
            scope = scope.Parent;
        }
    }

    private static bool DeliverStatus(FlowScope scope, NodeRunner reporter, NodeStatus status)
    {
        var delivered = false;
        foreach (var listener in scope.StatusListeners)
        {
            if (listener.Runner == reporter || !listener.Matches(reporter, out _)) continue;
            var statusObject = new JsObject();
            if (status.Fill is not null) statusObject["fill"] = status.Fill;
            if (status.Shape is not null) statusObject["shape"] = status.Shape;
            if (status.Text is not null) statusObject["text"] = status.Text;
            statusObject["source"] = new JsObject
            {
                ["id"] = reporter.Id,
                ["type"] = reporter.Identity.Type,
                ["name"] = reporter.Identity.Name,
            };
            listener.Runner.Emit(new JsObject { ["status"] = statusObject, ["_msgid"] = MessageIds.NewId() });
            delivered = true;
        }
        return delivered;
    }

    internal void NodeLog(NodeRunner runner, LogLevel level, string text, Exception? exception = null)
    {
        var identity = runner.Identity;
        var label = string.IsNullOrEmpty(identity.Name) ? identity.Id : identity.Name;
        LogNode(_logger, level, identity.Type, label, text);
        // Observers get every level; the host's comms forward only warnings and errors to the editor, as Node-RED does.
        if (Observers.HasObservers)
        {
            Observers.Log(new NodeLogEvent(identity, level, text, TimeProvider.GetUtcNow().UtcDateTime));
        }
    }

    /// <summary>Stops every node (shutdown): flow nodes first, then config nodes (each before those it uses), each with the close deadline.</summary>
    public async Task StopAllAsync(CancellationToken cancellationToken)
    {
        var runners = _runners;
        _runners = new(StringComparer.Ordinal);
        await Task.WhenAll(runners.Values.Where(r => !r.IsConfig).Select(r => r.DrainAndCloseAsync(false, TimeSpan.FromSeconds(5), cancellationToken))).ConfigureAwait(false);
        await CloseConfigNodesAsync(runners.Values.Where(r => r.IsConfig).ToList(), _plans,
            r => r.DrainAndCloseAsync(false, TimeSpan.FromSeconds(5), cancellationToken)).ConfigureAwait(false);
        Started = false;
    }

    /// <summary>
    /// Closes config nodes in waves: a config node that uses another (a broker and its tls-config, a writer declared
    /// without x/y, which Node-RED's format makes a config node, and its server) closes before the one it uses, so it
    /// never finishes its work against a connection already disposed. Nodes in a reference cycle close together.
    /// Returns the messages dropped.
    /// </summary>
    private static async Task<long> CloseConfigNodesAsync(List<NodeRunner> closing, IReadOnlyDictionary<string, NodePlan> plans, Func<NodeRunner, Task<long>> close)
    {
        var uses = closing.ToDictionary(r => r.Id,
            r => plans.TryGetValue(r.Id, out var plan) ? ReferencedIds(plan).ToHashSet(StringComparer.Ordinal) : [], StringComparer.Ordinal);
        long dropped = 0;
        var open = closing;
        while (open.Count > 0)
        {
            var wave = open.Where(r => !open.Any(user => uses[user.Id].Contains(r.Id))).ToList();
            if (wave.Count == 0) wave = open;
            dropped += (await Task.WhenAll(wave.Select(close)).ConfigureAwait(false)).Sum();
            open = open.Except(wave).ToList();
        }
        return dropped;
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Deploy: {Count} queued message(s) could not be finished before their node closed")]
    private static partial void LogDropped(ILogger logger, long count);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Missing node types (those nodes pass nothing, everything else runs): {Types}")]
    private static partial void LogMissingTypes(ILogger logger, string types);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Environment: {Warning}")]
    private static partial void LogEnvWarning(ILogger logger, string warning);

    [LoggerMessage(EventId = 1004, Message = "[{Type}:{Node}] {Text}")]
    private static partial void LogNode(ILogger logger, LogLevel level, string type, string node, string text);
}
