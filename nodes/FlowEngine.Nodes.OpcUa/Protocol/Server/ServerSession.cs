using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Services;

namespace FlowEngine.Nodes.OpcUa.Protocol.Server;

/// <summary>
/// A session (Part 4 §5.6) on the server: who it is (user, client certificate), which channel it is bound to, its
/// subscriptions, the Publish requests waiting for notifications, and Browse continuation points. One lock guards it.
/// </summary>
internal sealed class ServerSession
{
    public const int MaxQueuedPublishes = 16;
    public const int MaxContinuationPoints = 16;

    public ServerSession(string name, TimeSpan timeout, X509Certificate2? clientCertificate, ApplicationDescription client)
    {
        Name = name;
        Timeout = timeout;
        ClientCertificate = clientCertificate;
        Client = client;
        Touch();
    }

    public Lock Gate { get; } = new();
    public NodeId SessionId { get; } = new(1, NodeIdType.Guid, Guid.NewGuid());
    public NodeId AuthenticationToken { get; } = new(0, NodeIdType.Opaque, RandomNumberGenerator.GetBytes(32));
    public string Name { get; }
    public TimeSpan Timeout { get; }
    public X509Certificate2? ClientCertificate { get; }
    public ApplicationDescription Client { get; }
    public ServerChannel? Channel { get; set; }
    public bool Activated { get; set; }
    /// <summary>The user name of the last ActivateSession; null for anonymous.</summary>
    public string? UserName { get; set; }
    public byte[] ServerNonce { get; set; } = [];
    public bool Closed { get; set; }
    public Dictionary<uint, ServerSubscription> Subscriptions { get; } = [];
    public LinkedList<PendingPublish> Publishes { get; } = new();
    public Dictionary<string, (NodeId Node, List<ReferenceDescription> Remaining, uint PageSize)> ContinuationPoints { get; } = new(StringComparer.Ordinal);
    private long _lastActivity;

    public void Touch() => Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);

    public bool TimedOut => Environment.TickCount64 - Interlocked.Read(ref _lastActivity) > Timeout.TotalMilliseconds;

    /// <summary>The oldest Publish request whose channel is still open (callers hold <see cref="Gate"/>).</summary>
    public bool TryTakePublish(out PendingPublish publish)
    {
        while (Publishes.First is { } first)
        {
            Publishes.RemoveFirst();
            if (!first.Value.Channel.IsOpen) continue;
            publish = first.Value;
            return true;
        }
        publish = null!;
        return false;
    }

    public override string ToString() => $"session \"{Name}\"{(UserName is null ? "" : " user " + UserName)}";
}
