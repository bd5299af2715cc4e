// Package lang is promptbuild's configuration language: the HCL schema of
// the *.pb.hcl files, decoding to a Config, static checks, references,
// evaluation scopes, functions and diagnostics.
//
// Entry points:
//
//   - [Load] and [LoadWith] read a project directory into a [Config] and
//     check it: schema, duplicate names, undeclared references, template
//     variables that a run does not pass, cycles between runs, literal
//     for_each and output values. [Options] carries -var values and the
//     environment (PROMPTBUILD_VAR_name).
//   - [References] and [TemplateRefs] parse the references of an
//     expression or a template into typed [Ref] values;
//     [AssertReferences] those of an assert block, where self (the answer
//     under test, [SelfAttrs]) is in scope too. A run's [Assert] blocks
//     keep their condition and message raw, like every expression.
//   - [Scope] builds the [hcl.EvalContext] for a run and its template;
//     [Functions] is the one function table (cty stdlib as Terraform
//     exposes it, plus file and fileexists confined to the project).
//   - [ReadInput] reads an input's value (a binary file, sniffed by
//     [SniffMedia], is a [Media] value of the capsule type [MediaType],
//     which only a run's attachments take), refusing files that symbolic
//     links place outside the project. [ListInput] lists a file or glob
//     input's files as [TextFile] values, with their digests from the
//     configuration's stat cache ([Options].StatCache), and
//     [TextsValue] reads their texts when an expression needs them;
//     [ForEachInputs] names the globs that runs read only through
//     for_each, file by file; [ReadsFiles] says whether an expression
//     calls file or fileexists. [ExpandForEach] turns a for_each
//     value into instances; [CheckOutputPath] checks an output path;
//     [ProviderName] and [UndeclaredProvider] check the name a run's
//     provider[EXPR] picks per instance; [Config.Root] says where the
//     project's paths lead through links.
//   - [MediaDiags] turns the error of a binary value used as text into
//     one that names it; [MediaProvider] is what a provider type says it
//     takes and makes, checked against a run's attachments and format.
//   - [Format] and [FormatFile] format source for the fmt command;
//     [NewDiagnosticWriter] renders diagnostics with source snippets.
//
// Filenames in ranges and in Config.Files are relative to the project
// directory, with forward slashes ("main.pb.hcl", "prompts/a.tmpl").
// Expressions stay raw on the model; the planner evaluates them.
package lang
