/**
 * Which compliance requirements a call is judged against, and how each judgement is kept. The
 * result keeps the template, its version and the requirement's text as judged, so a later edit of
 * the template never rewrites what an old evaluation says.
 */
import type { complianceTemplates } from '../db/schema';
import type { ModelEvaluation, RequirementForScoring } from '../integrations/openai-evaluator';

type TemplateRow = typeof complianceTemplates.$inferSelect;

/**
 * The templates the call's criteria set attaches, in the set's order; a set that attaches none (or
 * no set at all) means the tenant's default templates, by name. None of either: no requirements,
 * and the model's free-form compliance list is kept as before.
 */
export function requirementsFor(
  set: { complianceTemplateIds: string[] } | undefined,
  templates: TemplateRow[],
): RequirementForScoring[] {
  const byId = new Map(templates.map((t) => [t.id, t]));
  const chosen = set?.complianceTemplateIds.length
    ? set.complianceTemplateIds.map((id) => byId.get(id)).filter((t): t is TemplateRow => !!t)
    : templates.filter((t) => t.isDefault).sort((a, b) => a.name.localeCompare(b.name));
  return chosen.flatMap((t) =>
    t.requirements.map((r) => ({
      id: `${t.id}/${r.key}`,
      template_id: t.id,
      template_name: t.name,
      template_version: t.version,
      regulation_type: t.regulationType,
      key: r.key,
      title: r.title,
      text: r.text,
      severity: r.severity,
      must_say: r.must_say,
      must_not_say: r.must_not_say,
    })),
  );
}

/**
 * The evaluation's `compliance` column: per requirement its judgement beside what it was judged
 * against. `met` is false only for `not_met` (a requirement that does not apply is not violated),
 * and `evidence` is the first quote, so readers of the free-form list read these too.
 */
export function complianceItems(requirements: RequirementForScoring[], result: ModelEvaluation) {
  if (!requirements.length) return result.compliance ?? [];
  return requirements.map((r) => {
    const judged = result.requirements?.[r.id];
    const status = judged?.status ?? 'not_applicable';
    return {
      requirement: r.text,
      met: status !== 'not_met',
      evidence: judged?.evidence[0]?.quote ?? null,
      status,
      template_id: r.template_id,
      template_name: r.template_name,
      template_version: r.template_version,
      regulation_type: r.regulation_type,
      requirement_key: r.key,
      title: r.title,
      severity: r.severity,
      evidence_quotes: judged?.evidence ?? [],
      reasoning: judged?.reasoning ?? null,
    };
  });
}
