promptbuild {
  lock_file   = "promptbuild.lock.hcl"
  cache_dir   = ".promptbuild/cache"
  parallelism = 4
}

variable "tone" {
  default     = "neutral"
  description = "The tone of the summaries"
}

variable "model" {
  default = "gpt-4o-mini"
}

provider "fast" {
  type                = "openai"
  model               = var.model
  base_url            = "http://localhost:11434/v1"
  api_key_env         = "OPENAI_API_KEY"
  max_concurrency     = 8
  requests_per_minute = 500
  timeout             = "45s"
  headers             = { "X-Team" = "docs" }
  params              = { top_p = 0.9 }

  pricing {
    input_per_mtok  = 0.15
    output_per_mtok = 0.6
  }
}

provider "offline" {
  type = "mock"
  responses = {
    "title"   = "A title"
    "^Summar" = "A summary"
  }
  latency    = "50ms"
  fail_every = 3
}

input "readme" {
  file = "README.md"
}

input "docs" {
  glob = "docs/**/*.md"
}

input "locales" {
  value = ["en", "fr"]
}

template "summarize" {
  system = "You are a concise technical writer. Tone: ${var.tone}."
  file   = "prompts/summarize.tmpl"
}

template "make_title" {
  text = <<-EOT
    Write a title for: ${summary}
  EOT
}

template "translate" {
  text = "Translate to ${lang}: ${run.summary.output}"
}

run "summary" {
  template    = template.summarize
  provider    = provider.fast
  vars        = { doc = input.readme }
  temperature = 0
  max_tokens  = 400
  output      = "out/summary.md"
}

run "title" {
  template = template.make_title
  provider = provider.offline
  vars     = { summary = run.summary.output }
  output   = "out/title.txt"
}

run "translated" {
  for_each   = toset(["de", "fr"])
  template   = template.translate
  provider   = provider.offline
  vars       = { lang = each.key }
  output     = "out/summary.${each.key}.md"
  depends_on = [run.title]
}

run "per_doc" {
  for_each = input.docs
  template = template.summarize
  provider = provider.fast
  vars = {
    "doc" = each.value
  }
  format = "json"
  seed   = 7
  params = { top_k = 40 }
}
