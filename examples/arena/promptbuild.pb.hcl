# The arena: one support prompt tested across 3 scenarios x 2 providers x 2
# regions, 3 samples each, with conditions, a pass rate, a warning and an
# LLM judge. It runs offline: the providers are mocks, and the mock
# "critic" plays the judge. One assertion fails on purpose (the careful
# provider refuses to cancel an order), so that the reports have a failure
# to show:
#
#   promptbuild test -o report.html -o report.xml -o report.json -o report.md
#
# The second run makes no call: every answer and every verdict is cached.

provider "fast" {
  type    = "mock"
  model   = "mock-fast"
  latency = "20ms"
}

provider "careful" {
  type    = "mock"
  model   = "mock-careful"
  latency = "40ms"
  responses = {
    "(?s)cancel my order" = "As an AI, I cannot cancel orders. Please write to support."
  }
}

provider "critic" {
  type  = "mock"
  model = "mock-judge"
  responses = {
    "(?s)Answer to grade:.*As an AI" = "{\"pass\": false, \"score\": 0.2, \"reason\": \"refuses instead of helping\"}"
    "(?s)Answer to grade:"           = "{\"pass\": true, \"score\": 0.85, \"reason\": \"answers the question\"}"
  }
}

judge "strict" {
  provider = provider.critic
}

input "scenarios" {
  value = {
    refund = "My parcel arrived broken."
    late   = "Where is my order?"
    cancel = "Can I cancel my order?"
  }
}

template "support" {
  system = "You are the support desk of Acme. Reply in the language of region ${region}, in at most three sentences."
  text   = "Customer: ${question}"
}

run "answer" {
  for_each = { for c in setproduct(keys(input.scenarios), ["fast", "careful"], ["en", "fr"]) :
  "${c[0]}/${c[1]}/${c[2]}" => { scenario = c[0], provider = c[1], region = c[2] } }
  provider = provider[each.value.provider]
  template = template.support
  vars     = { question = input.scenarios[each.value.scenario], region = each.value.region }
  output   = "out/${each.key}.txt"
  samples  = 3

  assert {
    condition     = length(self.output) < 400 && !strcontains(lower(self.output), "as an ai")
    error_message = "too long or off-voice: ${self.output}"
    pass_rate     = 0.6
  }
  assert {
    condition = self.finish_reason == "stop" && (self.latency_ms == null || self.latency_ms < 8000)
    severity  = "warning"
  }
  assert {
    judge     = judge.strict
    criteria  = "Answers the customer's question; invents no policy."
    threshold = 0.7
  }
}
