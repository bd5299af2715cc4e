# The quickstart: three documents, a summary of each, a digest of the
# summaries and a title for the digest. It runs offline on the mock
# provider. To run it on OpenAI instead, change the provider block to
#
#   type  = "openai"
#   model = "gpt-4o-mini"      # and export OPENAI_API_KEY
#
# Nothing else changes.

promptbuild {
  parallelism = 8
}

variable "audience" {
  default = "new contributors"
}

provider "llm" {
  type    = "mock"
  model   = "mock-small"
  latency = "20ms"
}

input "docs" {
  glob = "docs/*.md"
}

input "style" {
  value = "plain words, short sentences"
}

template "summarize" {
  system = "You write for ${var.audience}. Style: ${input.style}."
  file   = "prompts/summarize.tmpl"
}

template "digest" {
  system = "You write for ${var.audience}."
  text   = <<-EOT
    Combine these summaries into one digest, one paragraph per document.
    %{for name, s in summaries~}

    ## ${name}
    ${s.output}
    %{endfor~}
  EOT
}

template "title" {
  text = "Write a title of at most eight words for this digest:\n\n${digest}"
}

run "summary" {
  for_each    = input.docs
  template    = template.summarize
  provider    = provider.llm
  vars        = { name = each.key, doc = each.value }
  temperature = 0
  max_tokens  = 300
  output      = "out/summaries/${basename(each.key)}"
}

run "digest" {
  template    = template.digest
  provider    = provider.llm
  vars        = { summaries = run.summary }
  temperature = 0
  output      = "out/digest.md"
}

run "title" {
  template = template.title
  provider = provider.llm
  vars     = { digest = run.digest.output }
  output   = "out/title.txt"
}
