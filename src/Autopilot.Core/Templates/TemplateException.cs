namespace Autopilot.Templates;

/// <summary>A template that cannot be found, read or rendered; the message names file, line and placeholder.</summary>
public sealed class TemplateException(string message, string path, int line, int column, string? placeholder = null) : Exception(message)
{
    public string Path { get; } = path;
    public int Line { get; } = line;
    public int Column { get; } = column;
    public string? Placeholder { get; } = placeholder;
}
