//! Running the plans of ready cycles: each cycle's units computed in the
//! order `Claims::plan` gave (rule 5 on [`propagate`](crate::propagate)),
//! one computation at a time, since a unit reads the one that brought its
//! change.

use crate::claims::Step;
use crate::records::WHOLE;
use crate::settle::Settle;
use crate::visit::{Offer, Phase};

impl Settle<'_> {
    /// Settles every ready cycle as planned by `Claims::plan`. A unit is
    /// computed from the unit that brought its change, so plans run one
    /// computation at a time, except a plan's last computation, which only
    /// needs units already settled: those of all ready cycles share one wave
    /// (a two-way pair's single write, say).
    pub(crate) fn settle_cycles(&mut self) {
        while let Some(g) = self.s.cycles.ready.pop() {
            let claims =
                self.s.claims.plan(&self.s.cycles, g, self.graph, &self.s.visits, (self.floor, self.epoch));
            self.stats.changes_applied += claims.applied;
            self.stats.changes_superseded += claims.superseded;
            self.stats.cycles_cut += claims.cut;
            self.syncs_won += claims.syncs_won;
            let steps = self.s.claims.plan.len();
            for i in 0..steps {
                let Step { visit: v, field, offer, parent, also, covered } = self.s.claims.plan[i];
                self.settle_member(v);
                // Computed if the change entered here, or its carrier changed,
                // or it beat an own change of this member (whose value must
                // give way to the carrier's even when the carrier kept its).
                let compute = offer.via.is_binding()
                    && !covered
                    && (self.s.visits.list[v as usize].own != 0
                        || parent.is_none_or(|(pv, pf)| self.s.visits.carried(pv, pf).is_some())
                        || self.s.claims.parents[also.0 as usize..also.1 as usize]
                            .iter()
                            .any(|&(pv, pf)| self.s.visits.carried(pv, pf).is_some()));
                if field == WHOLE {
                    self.s.visits.list[v as usize].best = offer;
                } else {
                    let u = self.s.visits.unit(v, field);
                    let unit = &mut self.s.visits.units[u as usize];
                    (unit.best, unit.fires) = (offer, compute);
                }
                if compute {
                    self.stats.bindings_fired += 1;
                    if field == WHOLE {
                        self.queue_fire(v, offer.via);
                    } else {
                        let u = self.s.visits.unit(v, field);
                        self.queue_unit_fire(v, u);
                    }
                    if i + 1 < steps {
                        self.run_lanes();
                    }
                }
            }
            for i in self.s.cycles.members(g) {
                let v = self.s.cycles.member(i);
                self.settle_member(v); // no change reached it: it keeps its value
                self.s.next.push(v);
            }
        }
    }

    /// Marks cycle member `v` settled, once.
    fn settle_member(&mut self, v: u32) {
        let visit = &mut self.s.visits.list[v as usize];
        if visit.phase != Phase::Settled {
            visit.phase = Phase::Settled;
            visit.changed = visit.own != 0;
            visit.best = Offer::NONE;
            self.decided += 1;
        }
    }
}
