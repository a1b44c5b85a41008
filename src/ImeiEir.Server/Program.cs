using ImeiEir.Server.Hosting;

// The node: settings from appsettings.json, environment (Redis__Configuration=…) and the command line.
// Everything is wired in Hosting/EirHost.cs so tests start exactly the same host.
var app = EirHost.Build(args);
await app.RunAsync();
