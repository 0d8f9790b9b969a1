// TEMPORARY shim (engine branch) until the config branch lands; replaced at merge.
namespace Autopilot.Templates;

public sealed class TemplateException(string message) : Exception(message);
