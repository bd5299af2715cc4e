# Vision: a folder of photos, a description of each (one run instance per
# photo, the photo attached to its message) and a summary of the
# descriptions. It runs offline on the mock provider, whose answers name
# the files they were shown. To run it on a vision model instead, change
# the provider block to
#
#   type  = "openai"
#   model = "gpt-4o-mini"      # and export OPENAI_API_KEY
#
# (or type = "anthropic", "gemini", or "ollama" with a vision model such
# as llava). Nothing else changes.

provider "vision" {
  type  = "mock"
  model = "mock-vision"
}

input "photos" {
  glob = "photos/*.png"
}

template "describe" {
  system = "You describe photos for a picture library: what is in them, the light and the mood."
  text   = "Describe the photo ${name} in two sentences."
}

template "summary" {
  text = <<-EOT
    Here are descriptions of the photos in one folder. Write a short
    paragraph about the folder as a whole: what it shows and what the
    photos have in common.
    %{for name, d in descriptions~}

    ## ${name}
    ${d.output}
    %{endfor~}
  EOT
}

run "describe" {
  for_each    = input.photos
  template    = template.describe
  provider    = provider.vision
  vars        = { name = basename(each.key) }
  attachments = [each.value]
  temperature = 0
  max_tokens  = 200
  output      = "out/descriptions/${trimsuffix(basename(each.key), ".png")}.md"
}

run "summary" {
  template    = template.summary
  provider    = provider.vision
  vars        = { descriptions = run.describe }
  temperature = 0
  output      = "out/summary.md"
}
