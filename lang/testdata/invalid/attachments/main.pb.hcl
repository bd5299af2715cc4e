variable "x" {
  default = "photo.png"
}

provider "m" {
  type = "mock"
}

provider "claude" {
  type  = "anthropic"
  model = "claude-3-5-haiku-latest"
}

provider "local" {
  type  = "ollama"
  model = "llava"
}

input "photo" {
  file = "photo.png"
}

input "sound" {
  file = "sound.wav"
}

input "doc" {
  file = "doc.pdf"
}

input "notes" {
  file = "notes.txt"
}

input "val" {
  value = "a literal"
}

template "t" {
  text = "Describe it."
}

template "shows" {
  text = "Here it is: ${input.photo}" # ERROR: Binary value used as text
}

run "text" {
  template = template.t
  provider = provider.m
}

run "not_inputs" {
  template = template.t
  provider = provider.m
  attachments = [
    var.x,            # ERROR: Invalid attachment
    "photo.png",      # ERROR: Invalid attachment
    input.val,        # ERROR: Invalid attachment
    input.notes,      # ERROR: Invalid attachment
    run.text.output,  # ERROR: Invalid attachment
    input.photo,
  ]
}

run "in_template" {
  template = template.shows
  provider = provider.m
}

run "in_vars" {
  template = template.t
  provider = provider.m
  vars     = { img = upper(input.photo) } # ERROR: Binary value used as text
}

run "no_audio" {
  template    = template.t
  provider    = provider.claude
  attachments = [input.photo, input.sound] # ERROR: Unsupported attachment
}

run "no_pdf" {
  template    = template.t
  provider    = provider.local
  attachments = [input.doc] # ERROR: Unsupported attachment
}

run "no_images_out" {
  template = template.t
  provider = provider.claude
  format   = "image" # ERROR: Unsupported format
}
