using System.CommandLine;
using Autopilot.Kubectl;

// Every value comes from `autopilot kubectl-exec` as written: a word starting with @ is not a response file.
return await KubectlExecProgram.Build().Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null }).InvokeAsync();
