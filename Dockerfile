# FlowEngine container image.
#   docker build -t flowengine .
#   docker run -p 1880:1880 -v flowengine-data:/data flowengine
# Settings: mount a settings.json into /data, or set FLOWENGINE_<SETTING> variables (FLOWENGINE_UI_PORT,
# FLOWENGINE_CREDENTIAL_SECRET, FLOWENGINE_LOGGING__CONSOLE__LEVEL...). Set adminAuth before exposing the port
# beyond a trusted network: the image listens on all interfaces, and FlowEngine warns loudly when it does so
# without adminAuth.

# 1. The browser editor (TypeScript + Vite).
FROM node:22-bookworm-slim AS editor
WORKDIR /src/editor
COPY editor/package.json editor/package-lock.json ./
RUN npm install --no-audit --no-fund
COPY editor/ ./
RUN npm run build

# 2. The .NET program, published framework-dependent; the editor from stage 1 goes next to it.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS publish
WORKDIR /src
COPY . .
COPY --from=editor /src/editor/dist editor/dist
RUN dotnet publish runtime/FlowEngine.Host -c Release -o /app -p:SkipEditorBuild=true

# 3. The runtime image: ASP.NET Core, ffmpeg for the camera nodes, curl for the health check.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 1880 flowengine \
 && useradd --system --uid 1880 --gid flowengine --home-dir /data --shell /usr/sbin/nologin flowengine \
 && mkdir -p /data && chown flowengine:flowengine /data
WORKDIR /app
COPY --from=publish /app ./
USER flowengine
VOLUME /data
EXPOSE 1880
ENV FLOWENGINE_UI_HOST=0.0.0.0 \
    DOTNET_gcServer=0
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD curl -fsS http://127.0.0.1:1880/healthz || exit 1
ENTRYPOINT ["dotnet", "/app/flowengine.dll", "--userDir", "/data"]
