using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Pathwise.Generator.Tests")]
