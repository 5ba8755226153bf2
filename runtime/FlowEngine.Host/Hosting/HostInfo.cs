using System.Reflection;

namespace FlowEngine.Host.Hosting;

/// <summary>Version and platform strings for --version, the banner and GET /settings.</summary>
internal static class HostInfo
{
    /// <summary>The product version (Directory.Build.props), without the source revision the SDK appends after '+'.</summary>
    public static string Version { get; } = ReadVersion();

    public static string DotNetVersion => Environment.Version.ToString();

    public static string Platform =>
        $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription.Trim()} {System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}";

    private static string ReadVersion()
    {
        var assembly = typeof(HostInfo).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        var version = informational ?? assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 ? version[..plus] : version;
    }
}
