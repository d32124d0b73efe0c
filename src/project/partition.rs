//! `Partition`: things numbered from 0 joined into groups (disjoint sets),
//! for the changes that must land together and the fixes asked as one.

/// A partition of `0..len` into groups, each led by its smallest member,
/// so that groups do not depend on the order of the joins.
#[derive(Debug, Clone)]
pub struct Partition {
    parent: Vec<usize>,
}

impl Partition {
    /// Every member alone.
    pub fn new(len: usize) -> Self {
        Partition {
            parent: (0..len).collect(),
        }
    }

    /// The smallest member of `member`'s group.
    pub fn lead(&mut self, mut member: usize) -> usize {
        while self.parent[member] != member {
            self.parent[member] = self.parent[self.parent[member]];
            member = self.parent[member];
        }
        member
    }

    /// Puts `one` and `other` in one group.
    pub fn join(&mut self, one: usize, other: usize) {
        let (one, other) = (self.lead(one), self.lead(other));
        self.parent[one.max(other)] = one.min(other);
    }

    /// The groups, each in order, in the order of their leads.
    pub fn groups(&mut self) -> Vec<Vec<usize>> {
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut group_of_lead: Vec<Option<usize>> = vec![None; self.parent.len()];
        for member in 0..self.parent.len() {
            let lead = self.lead(member);
            let group = *group_of_lead[lead].get_or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[group].push(member);
        }
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_led_by_their_smallest_member_whatever_the_order_of_joins() {
        let mut partition = Partition::new(6);
        partition.join(4, 2);
        partition.join(5, 4);
        partition.join(3, 1);
        assert_eq!(partition.lead(5), 2);
        assert_eq!(partition.groups(), vec![vec![0], vec![1, 3], vec![2, 4, 5]]);
    }
}
