import { z } from 'zod';

export const ChartSchema = z.object({
  title: z.string(),
  path: z.string().describe('PNG file'),
  entity: z.string(),
  metric: z.string(),
});
export type Chart = z.infer<typeof ChartSchema>;

export const ReportSchema = z.object({
  incidentId: z.string(),
  title: z.string(),
  markdown: z.string(),
  path: z.string().describe('Markdown file'),
  charts: z.array(ChartSchema),
  author: z.string().describe('who wrote the text: "deterministic templates" or the LLM provider'),
  createdAt: z.number(),
});
export type Report = z.infer<typeof ReportSchema>;
